"use client";

import * as React from "react";
import { Loader2 } from "lucide-react";

import { Button } from "@/components/ui/button";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from "@/components/ui/dialog";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select";
import { Separator } from "@/components/ui/separator";
import { Switch } from "@/components/ui/switch";
import { Tabs, TabsList, TabsTrigger } from "@/components/ui/tabs";
import { ApiError } from "@/lib/api";
import {
  CAPACITY_MAX,
  CAPACITY_MIN,
  checkForm,
  createBody,
  emptyForm,
  hasErrors,
  formFromAccount,
  placeErrors,
  updateBody,
  type AccountFormValues,
  type CtpFields,
  type FormField,
  type PlacedErrors,
  type SimFields,
} from "@/lib/account-form";
import type { Account, GatewayType } from "@/lib/types";
import { cn } from "@/lib/utils";

const NO_ERRORS: PlacedErrors = { fields: {}, form: [] };

function fieldId(field: FormField): string {
  return `account-${field.replace(".", "-")}`;
}

function Field({
  field,
  label,
  hint,
  errors,
  children,
  className,
}: {
  field: FormField;
  label: string;
  hint?: string;
  errors: PlacedErrors;
  children: (props: { id: string; "aria-invalid": boolean; "aria-describedby"?: string }) => React.ReactNode;
  className?: string;
}) {
  const id = fieldId(field);
  const messages = errors.fields[field] ?? [];
  const describedBy = [messages.length > 0 ? `${id}-error` : null, hint ? `${id}-hint` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className={cn("grid content-start gap-1.5", className)} data-field={field}>
      <Label htmlFor={id}>{label}</Label>
      {children({ id, "aria-invalid": messages.length > 0, "aria-describedby": describedBy || undefined })}
      {hint && (
        <p id={`${id}-hint`} className="text-muted-foreground text-xs">
          {hint}
        </p>
      )}
      {messages.length > 0 && (
        <p id={`${id}-error`} role="alert" className="text-destructive text-xs" data-testid={`error-${field}`}>
          {messages.join("; ")}
        </p>
      )}
    </div>
  );
}

const textareaClass =
  "border-input placeholder:text-muted-foreground focus-visible:border-ring focus-visible:ring-ring/50 aria-invalid:ring-destructive/20 aria-invalid:border-destructive flex min-h-16 w-full rounded-md border bg-transparent px-3 py-2 font-mono text-sm shadow-xs outline-none focus-visible:ring-[3px]";

export interface AccountFormDialogProps {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  /** The account being edited; null to create one. */
  account: Account | null;
  /** Sends the body; throws the api's error. */
  onSubmit: (body: Record<string, unknown>, account: Account | null) => Promise<void>;
}

export function AccountFormDialog({ open, onOpenChange, account, onSubmit }: AccountFormDialogProps) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent className="max-h-[92vh] overflow-y-auto sm:max-w-2xl">
        {open && (
          <AccountForm
            key={account?.id ?? "new"}
            account={account}
            onSubmit={onSubmit}
            onDone={() => onOpenChange(false)}
          />
        )}
      </DialogContent>
    </Dialog>
  );
}

function AccountForm({
  account,
  onSubmit,
  onDone,
}: {
  account: Account | null;
  onSubmit: AccountFormDialogProps["onSubmit"];
  onDone: () => void;
}) {
  const [form, setForm] = React.useState<AccountFormValues>(() => (account ? formFromAccount(account) : emptyForm()));
  const [errors, setErrors] = React.useState<PlacedErrors>(NO_ERRORS);
  const [saving, setSaving] = React.useState(false);
  const editing = account !== null;

  const set = <K extends keyof AccountFormValues>(key: K, value: AccountFormValues[K]) =>
    setForm((current) => ({ ...current, [key]: value }));
  const setSim = <K extends keyof SimFields>(key: K, value: SimFields[K]) =>
    setForm((current) => ({ ...current, sim: { ...current.sim, [key]: value } }));
  const setCtp = <K extends keyof CtpFields>(key: K, value: CtpFields[K]) =>
    setForm((current) => ({ ...current, ctp: { ...current.ctp, [key]: value } }));

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const refused = checkForm(form);
    if (hasErrors(refused)) {
      setErrors(refused);
      return;
    }
    const body = account ? updateBody(account, form) : createBody(form);
    if (account && Object.keys(body).length === 0) {
      onDone();
      return;
    }
    setSaving(true);
    setErrors(NO_ERRORS);
    try {
      await onSubmit(body, account);
      onDone();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.fieldErrors.length > 0) {
        setErrors(placeErrors(error.fieldErrors));
      } else if (error instanceof ApiError && error.status === 409) {
        setErrors({ fields: { name: [error.detail] }, form: [] });
      } else {
        const text = error instanceof ApiError ? error.detail : String(error);
        setErrors({ fields: {}, form: [text] });
      }
    } finally {
      setSaving(false);
    }
  }

  const secretHint = (isSet: boolean | undefined) =>
    editing ? (isSet ? "Stored (never shown). Leave empty to keep it." : "None stored.") : "Write-only: stored encrypted, never shown.";

  return (
    <form onSubmit={submit} noValidate className="grid gap-4" aria-label={editing ? "Edit account" : "New account"}>
      <DialogHeader>
        <DialogTitle>{editing ? `Edit ${account.name}` : "New account"}</DialogTitle>
        <DialogDescription>
          {editing
            ? "Only what you change is sent; the gateway restarts the account's worker with its new settings."
            : "An enabled account gets a gateway worker at once."}
        </DialogDescription>
      </DialogHeader>

      {errors.form.length > 0 && (
        <div role="alert" className="border-destructive/40 bg-destructive/5 text-destructive rounded-md border p-3 text-sm" data-testid="form-errors">
          {errors.form.map((message) => (
            <p key={message}>{message}</p>
          ))}
        </div>
      )}

      <div className="grid gap-4 sm:grid-cols-2">
        <Field field="name" label="Name" errors={errors} hint="Unique; letters, digits, - and _.">
          {(props) => (
            <Input {...props} name="name" value={form.name} autoComplete="off" onChange={(e) => set("name", e.target.value)} />
          )}
        </Field>
        <Field field="priority" label="Priority" errors={errors} hint="Lower number = preferred source.">
          {(props) => (
            <Input {...props} name="priority" inputMode="numeric" value={form.priority} onChange={(e) => set("priority", e.target.value)} />
          )}
        </Field>
        <Field field="canary" label="Canary contract" errors={errors} hint="Its ticks prove the feed alive, e.g. rb2605.SHFE.">
          {(props) => (
            <Input {...props} name="canary" value={form.canary} className="font-mono" onChange={(e) => set("canary", e.target.value)} />
          )}
        </Field>
        <Field field="is_enabled" label="Enabled" errors={errors}>
          {(props) => (
            <Switch {...props} checked={form.is_enabled} onCheckedChange={(checked) => set("is_enabled", checked)} />
          )}
        </Field>
        <Field
          field="contracts"
          label="Contracts"
          errors={errors}
          hint="Explicit override: leave empty to take contracts from the universe. One per line (or separated by commas)."
          className="sm:col-span-2"
        >
          {(props) => (
            <textarea
              {...props}
              name="contracts"
              rows={3}
              placeholder="empty: from the universe"
              className={textareaClass}
              value={form.contracts}
              onChange={(e) => set("contracts", e.target.value)}
            />
          )}
        </Field>
        <Field
          field="capacity"
          label="Capacity"
          errors={errors}
          hint={`The most contracts the universe puts on this account (${CAPACITY_MIN} to ${CAPACITY_MAX.toLocaleString("en-US")}).`}
        >
          {(props) => (
            <Input
              {...props}
              name="capacity"
              inputMode="numeric"
              value={form.capacity}
              onChange={(e) => set("capacity", e.target.value)}
            />
          )}
        </Field>
        <Field
          field="excluded"
          label="Excluded"
          errors={errors}
          hint="Exchanges (CZCE) or products (SR.CZCE) the universe never puts on this account."
        >
          {(props) => (
            <textarea
              {...props}
              name="excluded"
              rows={2}
              className={textareaClass}
              value={form.excluded}
              onChange={(e) => set("excluded", e.target.value)}
            />
          )}
        </Field>
      </div>

      <Separator />

      <Field field="gateway_type" label="Gateway type" errors={errors}>
        {(props) => (
          <Tabs value={form.gateway_type} onValueChange={(value) => set("gateway_type", value as GatewayType)}>
            <TabsList id={props.id} aria-invalid={props["aria-invalid"]} aria-describedby={props["aria-describedby"]}>
              <TabsTrigger value="sim">Sim</TabsTrigger>
              <TabsTrigger value="ctp">CTP</TabsTrigger>
            </TabsList>
          </Tabs>
        )}
      </Field>
      {editing && form.gateway_type !== account.gateway_type && (
        <p className="text-muted-foreground text-xs">
          Changing the type replaces the settings: the {account.gateway_type} settings (and secrets) are dropped.
        </p>
      )}

      {form.gateway_type === "sim" ? (
        <div className="grid gap-4 sm:grid-cols-2" data-testid="sim-settings">
          <Field field="sim.ticks_per_second" label="Ticks per second" errors={errors} hint="Per contract.">
            {(props) => (
              <Input {...props} inputMode="decimal" value={form.sim.ticks_per_second} onChange={(e) => setSim("ticks_per_second", e.target.value)} />
            )}
          </Field>
          <Field field="sim.delay_ms" label="Delay (ms)" errors={errors} hint="Added to every tick's arrival.">
            {(props) => (
              <Input {...props} inputMode="decimal" value={form.sim.delay_ms} onChange={(e) => setSim("delay_ms", e.target.value)} />
            )}
          </Field>
          <Field field="sim.seed" label="Seed" errors={errors}>
            {(props) => <Input {...props} inputMode="numeric" value={form.sim.seed} onChange={(e) => setSim("seed", e.target.value)} />}
          </Field>
          <Field field="sim.fail_login" label="Reject the login (rehearsal)" errors={errors}>
            {(props) => (
              <Switch {...props} checked={form.sim.fail_login} onCheckedChange={(checked) => setSim("fail_login", checked)} />
            )}
          </Field>
        </div>
      ) : (
        <div className="grid gap-4 sm:grid-cols-2" data-testid="ctp-settings">
          <Field field="ctp.userid" label="User id" errors={errors}>
            {(props) => <Input {...props} autoComplete="off" value={form.ctp.userid} onChange={(e) => setCtp("userid", e.target.value)} />}
          </Field>
          <Field field="ctp.password" label="Password" errors={errors} hint={secretHint(account?.ctp?.password_set)}>
            {(props) => (
              <Input
                {...props}
                type="password"
                autoComplete="new-password"
                placeholder={editing && account?.ctp?.password_set ? "•••••• (unchanged)" : ""}
                value={form.ctp.password}
                onChange={(e) => setCtp("password", e.target.value)}
              />
            )}
          </Field>
          <Field field="ctp.broker_id" label="Broker id" errors={errors}>
            {(props) => <Input {...props} value={form.ctp.broker_id} onChange={(e) => setCtp("broker_id", e.target.value)} />}
          </Field>
          <Field field="ctp.environment" label="Environment" errors={errors}>
            {(props) => (
              <Select value={form.ctp.environment} onValueChange={(value) => setCtp("environment", value as CtpFields["environment"])}>
                <SelectTrigger {...props} className="w-full">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="production">production (live front)</SelectItem>
                  <SelectItem value="test">test (test front)</SelectItem>
                </SelectContent>
              </Select>
            )}
          </Field>
          <Field
            field="ctp.md_library"
            label="Market-data library"
            errors={errors}
            hint="Local: tickhub&apos;s stand-in, for a tickhub ctp-front rehearsal only."
          >
            {(props) => (
              <Select value={form.ctp.md_library} onValueChange={(value) => setCtp("md_library", value as CtpFields["md_library"])}>
                <SelectTrigger {...props} className="w-full">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="ctp">CTP (the broker&apos;s)</SelectItem>
                  <SelectItem value="local">local front (rehearsal)</SelectItem>
                </SelectContent>
              </Select>
            )}
          </Field>
          <Field field="ctp.trading_hours" label="Trading hours" errors={errors}>
            {(props) => (
              <Select value={form.ctp.trading_hours} onValueChange={(value) => setCtp("trading_hours", value as CtpFields["trading_hours"])}>
                <SelectTrigger {...props} className="w-full">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  <SelectItem value="exchange">exchange sessions</SelectItem>
                  <SelectItem value="always">around the clock (local front)</SelectItem>
                </SelectContent>
              </Select>
            )}
          </Field>
          <Field field="ctp.md_fronts" label="Market-data fronts" errors={errors} hint="tcp://host:port, one per line." className="sm:col-span-2">
            {(props) => (
              <textarea {...props} rows={2} className={textareaClass} value={form.ctp.md_fronts} onChange={(e) => setCtp("md_fronts", e.target.value)} />
            )}
          </Field>
          <Field field="ctp.td_front" label="Trading front" errors={errors} hint="Empty for a market-data-only account.">
            {(props) => <Input {...props} className="font-mono" value={form.ctp.td_front} onChange={(e) => setCtp("td_front", e.target.value)} />}
          </Field>
          <Field field="ctp.connect_timeout_s" label="Connect timeout (s)" errors={errors}>
            {(props) => (
              <Input {...props} inputMode="decimal" value={form.ctp.connect_timeout_s} onChange={(e) => setCtp("connect_timeout_s", e.target.value)} />
            )}
          </Field>
          <Field field="ctp.app_id" label="App id" errors={errors}>
            {(props) => <Input {...props} value={form.ctp.app_id} onChange={(e) => setCtp("app_id", e.target.value)} />}
          </Field>
          <Field field="ctp.auth_code" label="Auth code" errors={errors} hint={secretHint(account?.ctp?.auth_code_set)}>
            {(props) => (
              <Input
                {...props}
                type="password"
                autoComplete="new-password"
                placeholder={editing && account?.ctp?.auth_code_set ? "•••••• (unchanged)" : ""}
                value={form.ctp.auth_code}
                onChange={(e) => setCtp("auth_code", e.target.value)}
              />
            )}
          </Field>
          <Field field="ctp.product_info" label="Product info" errors={errors}>
            {(props) => <Input {...props} value={form.ctp.product_info} onChange={(e) => setCtp("product_info", e.target.value)} />}
          </Field>
        </div>
      )}

      <DialogFooter>
        <Button type="button" variant="outline" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" disabled={saving}>
          {saving && <Loader2 className="animate-spin" aria-hidden />}
          {editing ? "Save" : "Create"}
        </Button>
      </DialogFooter>
    </form>
  );
}
