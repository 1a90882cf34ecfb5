import type { Metadata } from "next";
import { AccountView } from "../_components/account-view";
import { requireUser } from "../_server/page-session";

export const metadata: Metadata = { title: "Account · Folio" };

export default async function AccountPage() {
  const user = await requireUser("/account");
  return <AccountView user={user} />;
}
