import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { RequestListener } from "node:http";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import Provider, { type Configuration } from "oidc-provider";

/** What the provider says about a person; `groups` may be a list or a single string, as IdPs differ. */
export interface TestOidcAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  groups: string[] | string;
}

export interface TestOidcProvider {
  /** `https://127.0.0.1:<port>`: the value for OIDC_ISSUER. */
  issuer: string;
  /** The self-signed certificate (PEM) the provider serves: NODE_EXTRA_CA_CERTS for Folio. */
  certificatePath: string;
  certificate: string;
  /** Accounts by login name (the dev login form accepts any password). Tests may change them. */
  accounts: Map<string, TestOidcAccount>;
  /** Stops listening (connections are refused, as when an IdP is down) … */
  goOffline(): Promise<void>;
  /** … and listens again on the same port. */
  goOnline(): Promise<void>;
  stop(): Promise<void>;
}

export interface TestOidcClient {
  clientId: string;
  /** Unset: a public client (PKCE, token endpoint auth "none"); set: client_secret_basic. */
  clientSecret?: string;
  /** Folio's `<PUBLIC_URL>/api/auth/oidc/callback`. */
  redirectUris: string[];
}

const run = promisify(execFile);

/**
 * A real OpenID Connect provider (panva's oidc-provider, the certified implementation) on
 * 127.0.0.1 over HTTPS with a self-signed certificate made by the `openssl` CLI. Its built-in
 * development login and consent pages accept any login name: the name picks the account.
 * Profile claims are released through the userinfo endpoint (oidc-provider conforms to OIDC
 * Core 5.4: with response_type=code the ID token carries only `sub`), so Folio's userinfo path runs.
 */
export async function startTestOidcProvider(clients: TestOidcClient[]): Promise<TestOidcProvider> {
  const directory = await mkdtemp(path.join(tmpdir(), "folio-oidc-"));
  const keyPath = path.join(directory, "key.pem");
  const certificatePath = path.join(directory, "cert.pem");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    keyPath,
    "-out",
    certificatePath,
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  const certificate = await readFile(certificatePath, "utf8");
  const key = await readFile(keyPath, "utf8");

  let handler: RequestListener | undefined;
  const server: Server = createServer({ key, cert: certificate }, (request, response) => {
    if (handler) handler(request, response);
    else response.writeHead(503).end();
  });
  const port = await listen(server, 0);
  const issuer = `https://127.0.0.1:${port}`;

  const accounts = new Map<string, TestOidcAccount>();
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const configuration: Configuration = {
    clients: clients.map((client) => ({
      client_id: client.clientId,
      ...(client.clientSecret
        ? { client_secret: client.clientSecret, token_endpoint_auth_method: "client_secret_basic" }
        : { token_endpoint_auth_method: "none" }),
      redirect_uris: client.redirectUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
    })),
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      // Like several IdPs (Authentik, Zitadel), group membership comes with the profile scope.
      profile: ["name", "groups"],
    },
    cookies: { keys: ["folio-test-cookie-key"] },
    jwks: { keys: [{ ...signingKey, kid: "test-signing-key", use: "sig", alg: "RS256" }] },
    features: { devInteractions: { enabled: true } },
    async findAccount(_context, id) {
      const account = accounts.get(id);
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ ...accounts.get(id), sub: account.sub }) };
    },
  };
  const provider = new Provider(issuer, configuration);
  handler = provider.callback();

  return {
    issuer,
    certificatePath,
    certificate,
    accounts,
    async goOffline() {
      await close(server);
    },
    async goOnline() {
      await listen(server, port);
    },
    async stop() {
      if (server.listening) await close(server);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
