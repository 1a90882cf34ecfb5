import { z } from "zod";
import { roles } from "../../../lib/domain/actor";

const role = z.enum(roles as ["employee", "admin", "auditor"]);

export const addUserSchema = z
  .object({
    email: z.string().trim().min(3).max(254),
    displayName: z.string().trim().max(200).optional(),
    role,
    password: z.string().max(1024).optional(),
  })
  .strict();

export const changeUserSchema = z
  .object({ role: role.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((body) => body.role !== undefined || body.disabled !== undefined, { message: "nothing to change" });

export const userParamsSchema = z.object({ userId: z.uuid() });
export const groupParamsSchema = z.object({ groupId: z.uuid() });

export const createGroupSchema = z
  .object({ name: z.string().trim().min(1).max(100), oidcGroup: z.string().trim().max(200).optional() })
  .strict();

export const membershipSchema = z.object({ userId: z.uuid() }).strict();

const grantee = z.union([z.object({ userId: z.uuid() }).strict(), z.object({ groupId: z.uuid() }).strict()]);

export const grantSchema = z
  .object({ collectionId: z.uuid(), grantee, permission: z.enum(["read", "curate"]) })
  .strict();

export const revokeSchema = z.object({ collectionId: z.uuid(), grantee }).strict();
