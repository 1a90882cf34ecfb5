import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";

/**
 * proxy.ts matches no /api/ path (Next.js would hold a proxied request's body until it ends), so
 * every API route must refuse a foreign Host itself: through `authorize` or `guardPublicRoute`,
 * which call `checkRequestBoundary` first. Health and readiness answer any Host on purpose.
 */
const anyHostRoutes = new Set(["app/api/health/route.ts", "app/api/ready/route.ts"]);

it("every API route but health and readiness checks the Host itself", async () => {
  const routes = (await readdir("app/api", { recursive: true }))
    .filter((file) => file.endsWith("route.ts"))
    .map((file) => path.join("app/api", file));
  expect(routes.length).toBeGreaterThan(40);
  const unchecked: string[] = [];
  for (const route of routes) {
    if (anyHostRoutes.has(route)) continue;
    const source = await readFile(route, "utf8");
    if (!/\b(authorize|guardPublicRoute)\(request\b/.test(source)) unchecked.push(route);
  }
  expect(unchecked).toEqual([]);
});
