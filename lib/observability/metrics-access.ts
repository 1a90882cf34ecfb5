import { timingSafeEqual } from "node:crypto";
import { sha256Hex } from "../text/sha256-hex";

/**
 * Whether the request carries `Authorization: Bearer <METRICS_TOKEN>`. Never true while the
 * token is unset; compared in constant time (over digests, so lengths leak nothing either).
 */
export function hasMetricsToken(request: Request, metricsToken: string | undefined): boolean {
  if (!metricsToken) return false;
  const presented = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization")?.trim() ?? "")?.[1];
  if (!presented) return false;
  return timingSafeEqual(
    Buffer.from(sha256Hex(presented), "hex"),
    Buffer.from(sha256Hex(metricsToken), "hex"),
  );
}
