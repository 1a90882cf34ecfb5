import { ensureNextBuild } from "../../scripts/next-build";

/** The end-to-end tests run the production server; build it once if sources changed. */
export default async function setup(): Promise<void> {
  await ensureNextBuild();
}
