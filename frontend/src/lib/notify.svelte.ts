// Messages for the user: every failed action ends up here, in words (never silently).

import { errorMessage } from './api/client';

export interface Toast {
  id: number;
  kind: 'error' | 'info' | 'success';
  text: string;
}

class Notifier {
  toasts = $state<Toast[]>([]);
  private next = 1;

  push(kind: Toast['kind'], text: string, timeoutMs = kind === 'error' ? 10_000 : 4_000) {
    const id = this.next++;
    this.toasts.push({ id, kind, text });
    if (timeoutMs > 0) setTimeout(() => this.dismiss(id), timeoutMs);
    return id;
  }

  /** `context` says what was being done: "Could not start r1: <detail>". */
  error(err: unknown, context?: string) {
    const text = errorMessage(err);
    return this.push('error', context ? `${context}: ${text}` : text);
  }

  info(text: string) {
    return this.push('info', text);
  }

  success(text: string) {
    return this.push('success', text);
  }

  dismiss(id: number) {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }
}

export const notify = new Notifier();
