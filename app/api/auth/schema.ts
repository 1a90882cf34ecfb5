import { z } from "zod";

export const signInSchema = z
  .object({ email: z.string().trim().min(3).max(254), password: z.string().min(1).max(1024) })
  .strict();

const linkToken = z.string().min(1).max(200);

export const inspectLinkSchema = z.object({ token: linkToken }).strict();

export const redeemLinkSchema = z
  .object({
    token: linkToken,
    password: z.string().max(1024).optional(),
    email: z.string().trim().max(254).optional(),
    displayName: z.string().trim().max(200).optional(),
  })
  .strict();
