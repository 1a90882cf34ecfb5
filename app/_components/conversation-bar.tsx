"use client";

import { useEffect, useState } from "react";
import type { ThreadSummary, ThreadTurnView } from "../../lib/conversations/thread-view";
import { callApi } from "./api-client";

/**
 * The conversation a question continues: "New conversation", and the asker's recent ones to pick
 * up again. `refreshKey` changes when a question was answered, so the list shows it.
 */
export function ConversationBar(props: {
  threadId: string | null;
  refreshKey: number;
  onNew: () => void;
  onOpen: (threadId: string, turns: ThreadTurnView[]) => void;
}) {
  const { threadId, refreshKey, onNew, onOpen } = props;
  const [threads, setThreads] = useState<ThreadSummary[]>([]);
  /** Chosen in the list; opened only with the button, so arrowing through the list loads nothing. */
  const [chosen, setChosen] = useState("");
  const [isOpening, setIsOpening] = useState(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the trigger
  useEffect(() => {
    callApi<{ threads: ThreadSummary[] }>("GET", "/api/threads").then(
      (loaded) => setThreads(loaded.threads.slice(0, 20)),
      () => setThreads([]),
    );
  }, [refreshKey]);

  const open = async () => {
    if (!chosen) return;
    setIsOpening(true);
    try {
      const loaded = await callApi<{ turns: ThreadTurnView[] }>("GET", `/api/threads/${chosen}`);
      onOpen(chosen, loaded.turns);
    } catch {
      // The list is refreshed: a conversation that is gone disappears from it.
    } finally {
      setIsOpening(false);
    }
  };

  return (
    <nav className="conversation-bar" aria-label="Conversations">
      <button type="button" className="secondary" data-testid="new-conversation" onClick={onNew}>
        New conversation
      </button>
      <label className="conversation-picker">
        <span className="muted small">Earlier conversations</span>
        <select
          data-testid="conversation-select"
          value={chosen}
          onChange={(event) => setChosen(event.target.value)}
        >
          <option value="">Choose one…</option>
          {threads.map((thread) => (
            <option key={thread.threadId} value={thread.threadId}>
              {thread.title}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="secondary"
        data-testid="open-conversation"
        disabled={!chosen || chosen === threadId || isOpening}
        onClick={() => void open()}
      >
        Open
      </button>
    </nav>
  );
}
