import { ApiError } from '../api.js';

/** An error from the API (or the network), shown with its message; the request id helps the operator find it in the logs. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  const message = error instanceof Error ? error.message : 'something went wrong';
  const requestId = error instanceof ApiError ? error.requestId : undefined;
  return (
    <div class="notice notice-error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {message}
      {requestId ? <span class="request-id"> (request {requestId})</span> : null}
    </div>
  );
}
