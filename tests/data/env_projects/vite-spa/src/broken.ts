// Work in progress: does not compile yet.
export function formatPrice(cents: number {
  return (cents / 100).toFixed(2);
}
