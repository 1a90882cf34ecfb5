import { DocumentsView } from "../_components/documents-view";

export default function DocumentsPage() {
  return <DocumentsView />;
}
