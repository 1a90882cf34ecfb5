import type { Metadata } from "next";
import { AdminGroupsView } from "../../_components/admin-groups-view";
import { AdminTabs } from "../../_components/admin-tabs";
import { requireUser } from "../../_server/page-session";

export const metadata: Metadata = { title: "Groups · Admin · Folio" };

export default async function AdminGroupsPage() {
  await requireUser("/admin/groups", { roles: ["admin"] });
  return (
    <>
      <h1>Admin</h1>
      <AdminTabs current="groups" />
      <AdminGroupsView />
    </>
  );
}
