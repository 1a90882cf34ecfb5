import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { safeNextPath } from "../../lib/http/safe-next-path";
import { SignInForm } from "../_components/sign-in-form";
import { currentUser } from "../_server/page-session";

export const metadata: Metadata = { title: "Sign in · Folio" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const next = safeNextPath(query.next);
  if (await currentUser()) redirect(next);
  const error = typeof query.error === "string" ? query.error : undefined;
  return <SignInForm next={next} callbackError={error} />;
}
