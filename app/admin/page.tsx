import type { Metadata } from "next";
import { AdminTabs } from "../_components/admin-tabs";
import { AdminUsersView } from "../_components/admin-users-view";
import { requireUser } from "../_server/page-session";

export const metadata: Metadata = { title: "Users · Admin · Folio" };

export default async function AdminUsersPage() {
  const user = await requireUser("/admin", { roles: ["admin"] });
  return (
    <>
      <h1>Admin</h1>
      <AdminTabs current="users" />
      <AdminUsersView currentUserId={user.userId} />
    </>
  );
}
