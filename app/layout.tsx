import type { Metadata } from "next";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Folio",
  description: "Ask your own documents; get answers that cite the page.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="top-bar">
          <a className="brand" href="/">
            Folio
          </a>
          <nav>
            <a href="/">Ask</a>
            <a href="/documents">Documents</a>
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
