import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Debian's Chromium, headless, with the flags this closed network needs (no background calls). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page in a fresh browser context that carries the given session cookie (`name=value`). */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  cookie: string | undefined,
): Promise<Page> {
  const context = await browser.newContext();
  if (cookie) {
    const separator = cookie.indexOf("=");
    await context.addCookies([
      {
        name: cookie.slice(0, separator),
        value: cookie.slice(separator + 1),
        url: baseUrl,
        httpOnly: true,
        sameSite: "Lax",
      },
    ]);
  }
  return context.newPage();
}
