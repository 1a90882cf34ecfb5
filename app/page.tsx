import { AskView } from "./_components/ask-view";
import { requireUser } from "./_server/page-session";

export default async function AskPage() {
  await requireUser("/");
  return <AskView />;
}
