/** Turns an API failure into a sentence the victim can act on, in the current language. */
import type { ApiError } from '../api.js';
import { currentMessages } from '../localized.js';

export function describeApiError(error: ApiError): string {
  const m = currentMessages();
  if (error.status === 0) return m.errorNetwork;
  if (error.status === 401 || error.status === 404) return m.errorCredentials;
  if (error.status === 422) return m.errorLowQuality;
  return m.errorServer(error.message);
}
