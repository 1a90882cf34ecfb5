import type { Metadata } from "next";
import { LinkRedeemView } from "../_components/link-redeem-view";

export const metadata: Metadata = { title: "Set up · Folio" };

/** Public: the one-time setup link in the URL fragment is the credential. */
export default function SetupPage() {
  return <LinkRedeemView />;
}
