"use client";

import { usePathname } from "next/navigation";

export interface NavItem {
  href: string;
  label: string;
}

/** The top navigation; the link of the current section carries aria-current="page". */
export function NavLinks({ items, label }: { items: readonly NavItem[]; label: string }) {
  const pathname = usePathname();
  const isCurrent = (href: string) =>
    href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
  return (
    <nav aria-label={label}>
      {items.map((item) => (
        <a key={item.href} href={item.href} aria-current={isCurrent(item.href) ? "page" : undefined}>
          {item.label}
        </a>
      ))}
    </nav>
  );
}
