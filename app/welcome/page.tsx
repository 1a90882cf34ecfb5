import type { Metadata } from "next";
import { LinkRedeemView } from "../_components/link-redeem-view";

export const metadata: Metadata = { title: "Welcome · Folio" };

/** Public: the one-time sign-in link in the URL fragment is the credential. */
export default function WelcomePage() {
  return <LinkRedeemView />;
}
