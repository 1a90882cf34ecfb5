import type { Role } from "../../lib/domain/actor";

export const roleLabels: Record<Role, string> = {
  admin: "Admin",
  employee: "Employee",
  auditor: "Auditor",
};

export const roleDescriptions: Record<Role, string> = {
  admin: "Manages people, groups and collections; reads and curates every collection.",
  employee: "Reads (and, with curate access, uploads to) the collections granted to them.",
  auditor: "Reads the collections granted to them and everyone's answers, for review.",
};

export const permissionLabels = { read: "Read", curate: "Curate" } as const;

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A timestamp from the API in the reader's locale and time zone. Client-side only (no hydration). */
export function formatDate(value: string | Date): string {
  return dateFormat.format(new Date(value));
}

/** "45 seconds", "3 minutes", "2 hours": how long to wait, rounded up. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `${Math.ceil(minutes / 60)} hours`;
}
