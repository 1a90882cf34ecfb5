import type { Browser, Page } from "playwright-core";
import { testPassword } from "./api";

/** Opens `path` in a fresh browser context and signs in through the sign-in form it lands on. */
export async function signInThroughForm(
  browser: Browser,
  baseUrl: string,
  { email, password = testPassword, path = "/" }: { email: string; password?: string; path?: string },
): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${baseUrl}${path}`);
  await page.waitForURL(/\/sign-in\?/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByTestId("sign-in-submit").click();
  await page.waitForURL((url) => url.pathname === path);
  return page;
}

/** The session cookie the browser context holds, as `name=value` for API calls. */
export async function sessionCookieIn(page: Page): Promise<string> {
  const cookie = (await page.context().cookies()).find((candidate) =>
    candidate.name.endsWith("folio_session"),
  );
  if (!cookie) throw new Error("the browser holds no session cookie");
  return `${cookie.name}=${cookie.value}`;
}

/** The option labels of a <select>. */
export function optionLabels(page: Page, testId: string): Promise<string[]> {
  return page
    .getByTestId(testId)
    .locator("option")
    .evaluateAll((options) => options.map((option) => option.textContent ?? ""));
}
