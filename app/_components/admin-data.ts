import type { Role } from "../../lib/domain/actor";
import { callApi } from "./api-client";

/** What the admin routes return (see app/api/admin/*). */
export interface UserRow {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  isDisabled: boolean;
  hasPassword: boolean;
  createdAt: string;
}

export interface GroupRow {
  id: string;
  name: string;
  oidcGroup: string | null;
  members: Array<{ userId: string; email: string }>;
}

export interface GrantRow {
  id: string;
  collectionId: string;
  collectionName: string;
  permission: "read" | "curate";
  userId: string | null;
  userEmail: string | null;
  groupId: string | null;
  groupName: string | null;
}

export async function fetchUsers(): Promise<UserRow[]> {
  return (await callApi<{ users: UserRow[] }>("GET", "/api/admin/users")).users;
}

export async function fetchGroups(): Promise<GroupRow[]> {
  return (await callApi<{ groups: GroupRow[] }>("GET", "/api/admin/groups")).groups;
}

export async function fetchGrants(): Promise<GrantRow[]> {
  return (await callApi<{ grants: GrantRow[] }>("GET", "/api/admin/grants")).grants;
}
