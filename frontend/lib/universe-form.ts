/**
 * The add-entry form's model: the request body made from what was typed, and the
 * api's refusal (422 invalid, 409 duplicate) as the one message shown under the input.
 */

import { ApiError } from "./api";

export interface EntryFormValues {
  text: string;
  options: boolean;
  note: string;
}

export const EMPTY_ENTRY: EntryFormValues = { text: "", options: false, note: "" };

export function entryBody(values: EntryFormValues): { text: string; options?: boolean; note?: string } {
  const body: { text: string; options?: boolean; note?: string } = { text: values.text.trim() };
  if (values.options) body.options = true;
  const note = values.note.trim();
  if (note) body.note = note;
  return body;
}

/** Pydantic's prefix of a validator's own message: noise to the operator. */
const VALUE_ERROR = /^Value error, /;

/** What the operator reads when the api refuses an entry: its field errors (the
 * text's own without the field's name, nor pydantic's "Value error, "), else its detail. */
export function entryErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 422 && error.fieldErrors.length > 0) {
      return error.fieldErrors
        .map((item) => {
          const message = item.message.replace(VALUE_ERROR, "");
          return item.field === "text" || item.field === "" ? message : `${item.field}: ${message}`;
        })
        .join("; ");
    }
    if (error.status === 409 || error.status === 422) return error.detail;
    return error.status ? `${error.detail} (${error.status})` : error.detail;
  }
  return error instanceof Error ? error.message : String(error);
}
