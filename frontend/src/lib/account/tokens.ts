// The API token form: a name the gateway accepts and an optional expiry (`POST /api/tokens`).

import type { NewTokenRequest } from '../api/types';

export const EXPIRY_CHOICES = [
  { value: 'never', label: 'Never', days: null },
  { value: '7', label: 'In 7 days', days: 7 },
  { value: '30', label: 'In 30 days', days: 30 },
  { value: '90', label: 'In 90 days', days: 90 },
  { value: '365', label: 'In a year', days: 365 },
] as const;

export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]['value'];

const DAY_MS = 24 * 3600 * 1000;

/** Why the gateway would refuse this token name (1 to 64 characters, no controls), or null. */
export function tokenNameProblem(name: string): string | null {
  const n = [...name.trim()].length;
  if (n === 0) return 'A name is needed, to recognise the token by.';
  if (n > 64) return 'At most 64 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'No control characters.';
  return null;
}

/** The request for a name and an expiry choice, at `now` (unix ms). */
export function newTokenRequest(name: string, expiry: ExpiryChoice, now: number): NewTokenRequest {
  const days = EXPIRY_CHOICES.find((c) => c.value === expiry)?.days ?? null;
  const req: NewTokenRequest = { name: name.trim() };
  if (days !== null) req.expires_at = now + days * DAY_MS;
  return req;
}

/** How to use a token secret from a shell. */
export function curlExample(secret: string, origin: string): string {
  return `curl -H 'Authorization: Bearer ${secret}' ${origin}/api/labs`;
}
