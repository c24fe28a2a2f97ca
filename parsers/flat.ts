// A flat copy of a string. A regex capture or a slice is a view that keeps its whole log line
// alive; what outlives the line (a timeline's sender, a memo's key) is copied, so the GC can drop
// the line young.
export function flatCopy(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}
