import { z } from "zod";

export const askSchema = z
  .object({
    question: z.string().trim().min(1).max(4000),
    /** Narrows the search to these collections; the server drops any the asker may not read. */
    collectionIds: z.array(z.uuid()).max(200).optional(),
    /** Continues one of the asker's conversations; absent, the question starts a new one. */
    threadId: z.uuid().optional(),
  })
  .strict();
