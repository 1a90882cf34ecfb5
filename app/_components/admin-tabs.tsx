const tabs = [
  { key: "users", href: "/admin", label: "Users" },
  { key: "groups", href: "/admin/groups", label: "Groups" },
  { key: "access", href: "/admin/access", label: "Collections & access" },
] as const;

export type AdminTab = (typeof tabs)[number]["key"];

/** The admin area's sections, one page each (so each has its own address and back button). */
export function AdminTabs({ current }: { current: AdminTab }) {
  return (
    <nav className="sub-nav" aria-label="Admin sections">
      {tabs.map((tab) => (
        <a key={tab.key} href={tab.href} aria-current={tab.key === current ? "page" : undefined}>
          {tab.label}
        </a>
      ))}
    </nav>
  );
}
