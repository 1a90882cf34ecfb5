import type { Metadata } from "next";
import type { ReactNode } from "react";
import { type NavItem, NavLinks } from "./_components/nav-links";
import { SignOutButton } from "./_components/sign-out-button";
import { currentUser } from "./_server/page-session";
import "./globals.css";

export const metadata: Metadata = {
  title: "Folio",
  description: "Ask your own documents; get answers that cite the page.",
};

const roleLabels = { admin: "Admin", employee: "Employee", auditor: "Auditor" } as const;

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  const items: NavItem[] = user
    ? [
        { href: "/", label: "Ask" },
        { href: "/documents", label: "Documents" },
        ...(user.role === "admin" ? [{ href: "/admin", label: "Admin" }] : []),
        ...(user.role === "auditor" ? [{ href: "/audit", label: "Audit" }] : []),
        { href: "/account", label: "Account" },
      ]
    : [];
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="top-bar">
          <a className="brand" href="/">
            Folio
          </a>
          {user && (
            <>
              <NavLinks items={items} label="Main" />
              <div className="who" data-testid="signed-in-as">
                <span className="who-name">{user.displayName}</span>
                <span className={`role-badge role-${user.role}`}>{roleLabels[user.role]}</span>
                <SignOutButton />
              </div>
            </>
          )}
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  );
}
