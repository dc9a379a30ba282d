/** A time from the API, shown in the reader's locale, the exact UTC time on hover. */
export function When({ iso }: { iso: string }) {
  const at = new Date(iso);
  return (
    <time dateTime={iso} title={at.toISOString()}>
      {at.toLocaleString()}
    </time>
  );
}
