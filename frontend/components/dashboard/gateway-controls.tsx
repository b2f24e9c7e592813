"use client";

import * as React from "react";
import { Loader2, Play, RotateCcw, Square } from "lucide-react";
import { toast } from "sonner";

import {
  AlertDialog,
  AlertDialogAction,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "@/components/ui/alert-dialog";
import { Button, buttonVariants } from "@/components/ui/button";
import { ApiError, type ControlAction } from "@/lib/api";
import { useLiveContext } from "@/lib/live-context";

const VERB: Record<ControlAction, { label: string; doing: string; done: string }> = {
  start: { label: "Start", doing: "Starting", done: "started" },
  stop: { label: "Stop", doing: "Stopping", done: "stopped" },
  restart: { label: "Hard restart", doing: "Restarting", done: "restarted (new process)" },
};

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.status ? `${error.detail} (${error.status})` : error.detail;
  return error instanceof Error ? error.message : String(error);
}

/** Start / Stop / Hard restart of one gateway. The destructive two ask first; while a
 * command runs every button of the row waits, and the api's refusal shows as a toast. */
export function GatewayControls({ accountId, name }: { accountId: number; name: string }) {
  const { api, store } = useLiveContext();
  const [pending, setPending] = React.useState<ControlAction | null>(null);

  const run = React.useCallback(
    async (action: ControlAction) => {
      setPending(action);
      try {
        const view = await api.control(accountId, action);
        store.takeView(view);
        toast.success(`${name} ${VERB[action].done}`);
      } catch (error) {
        toast.error(`${VERB[action].label} of ${name} failed`, { description: errorText(error) });
      } finally {
        setPending(null);
      }
    },
    [api, store, accountId, name],
  );

  const icon = (action: ControlAction, Icon: React.ComponentType<{ className?: string }>) =>
    pending === action ? <Loader2 className="animate-spin" aria-hidden /> : <Icon aria-hidden />;

  return (
    <div className="flex items-center gap-1.5" aria-busy={pending !== null} data-testid={`controls-${name}`}>
      <Button
        size="sm"
        variant="outline"
        disabled={pending !== null}
        onClick={() => void run("start")}
        aria-label={`Start ${name}`}
      >
        {icon("start", Play)}
        {pending === "start" ? `${VERB.start.doing}…` : VERB.start.label}
      </Button>
      <Confirm
        action="stop"
        name={name}
        disabled={pending !== null}
        pending={pending === "stop"}
        icon={icon("stop", Square)}
        onConfirm={() => void run("stop")}
        description={`${name}'s worker is stopped and stays stopped, even across a restart of the gateway service, until someone starts it again. Its contracts fail over to their backups.`}
      />
      <Confirm
        action="restart"
        name={name}
        disabled={pending !== null}
        pending={pending === "restart"}
        icon={icon("restart", RotateCcw)}
        onConfirm={() => void run("restart")}
        description={`${name}'s worker process is terminated (killed after the grace period) and a clean new one is started. Its contracts fail over while it recovers.`}
      />
    </div>
  );
}

function Confirm({
  action,
  name,
  disabled,
  pending,
  icon,
  description,
  onConfirm,
}: {
  action: "stop" | "restart";
  name: string;
  disabled: boolean;
  pending: boolean;
  icon: React.ReactNode;
  description: string;
  onConfirm: () => void;
}) {
  const verb = VERB[action];
  return (
    <AlertDialog>
      <AlertDialogTrigger asChild>
        <Button
          size="sm"
          variant={action === "stop" ? "outline" : "secondary"}
          disabled={disabled}
          aria-label={`${verb.label} ${name}`}
        >
          {icon}
          {pending ? `${verb.doing}…` : verb.label}
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>
            {verb.label} {name}?
          </AlertDialogTitle>
          <AlertDialogDescription>{description}</AlertDialogDescription>
        </AlertDialogHeader>
        <AlertDialogFooter>
          <AlertDialogCancel>Cancel</AlertDialogCancel>
          <AlertDialogAction className={buttonVariants({ variant: "destructive" })} onClick={onConfirm}>
            {verb.label}
          </AlertDialogAction>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
