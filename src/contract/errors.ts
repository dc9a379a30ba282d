import { z } from 'zod';

export { API_ERROR_CODES, STATUS_OF, type ApiErrorCode } from './error-codes.js';

export const apiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
    /** Conflict: the keys that changed since the base revision. Validation: the offending fields. */
    keys: z.array(z.string()).optional(),
  }),
});
export type ApiError = z.infer<typeof apiErrorSchema>;
