// Light and dark themes: the system preference unless the user picked one.

export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'nova-ve.theme';

function readChoice(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    if (v === 'light' || v === 'dark' || v === 'system') return v;
  } catch {
    // storage unavailable (private mode): keep the default
  }
  return 'system';
}

class Theme {
  choice = $state<ThemeChoice>(readChoice());
  private systemDark = $state(false);
  /** The theme actually shown. */
  effective: 'light' | 'dark' = $derived(
    this.choice === 'system' ? (this.systemDark ? 'dark' : 'light') : this.choice,
  );

  constructor() {
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (mq) {
      this.systemDark = mq.matches;
      mq.addEventListener('change', (e) => (this.systemDark = e.matches));
    }
  }

  set(choice: ThemeChoice) {
    this.choice = choice;
    try {
      localStorage.setItem(KEY, choice);
    } catch {
      // not persisted; still applied
    }
  }

  /** system → light → dark → system */
  cycle() {
    this.set(this.choice === 'system' ? 'light' : this.choice === 'light' ? 'dark' : 'system');
  }
}

export const theme = new Theme();
