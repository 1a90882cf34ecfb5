import { createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverOidcProvider, type OidcConfig } from "../../lib/auth/oidc-discovery";

/** An "IdP" that accepts connections and never answers: the case a timeout exists for. */
const sockets: Socket[] = [];
const silentServer = createServer((socket) => sockets.push(socket));
let oidc: OidcConfig;

beforeAll(async () => {
  await new Promise<void>((resolve) => silentServer.listen(0, "127.0.0.1", resolve));
  const address = silentServer.address();
  const port = typeof address === "object" && address ? address.port : 0;
  oidc = {
    issuer: `https://127.0.0.1:${port}`,
    clientId: "folio",
    clientSecret: undefined,
    scopes: "openid",
    groupsClaim: "groups",
    buttonLabel: "SSO",
    autoCreateUsers: true,
  };
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silentServer.close(resolve));
});

describe("discoverOidcProvider", () => {
  it("gives up on an IdP that never answers with unavailable:oidc, and tries again on the next call", async () => {
    // Without the timeout this would outlive the test's own 5 s limit (openid-client waits 30 s by default).
    await expect(discoverOidcProvider(oidc, { timeoutSeconds: 1 })).rejects.toMatchObject({
      code: "unavailable:oidc",
    });
    expect(sockets).toHaveLength(1);
    await expect(discoverOidcProvider(oidc, { timeoutSeconds: 1 })).rejects.toMatchObject({
      code: "unavailable:oidc",
    });
    expect(sockets).toHaveLength(2);
  });
});
