import { AskView } from "./_components/ask-view";

export default function AskPage() {
  return <AskView />;
}
