import type { Metadata } from "next";
import { AdminAccessView } from "../../_components/admin-access-view";
import { AdminTabs } from "../../_components/admin-tabs";
import { requireUser } from "../../_server/page-session";

export const metadata: Metadata = { title: "Collections & access · Admin · Folio" };

export default async function AdminAccessPage() {
  await requireUser("/admin/access", { roles: ["admin"] });
  return (
    <>
      <h1>Admin</h1>
      <AdminTabs current="access" />
      <AdminAccessView />
    </>
  );
}
