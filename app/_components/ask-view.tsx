"use client";

import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import type { Citation, SourceRef } from "../../lib/domain/answer-events";
import type { AnswerRefusal, ClaimVerdict } from "../../lib/domain/claim-verdicts";
import { pageNameOf } from "../../lib/domain/page-text";
import { AnswerFeedback } from "./answer-feedback";
import { AnswerText } from "./answer-text";
import {
  type ApiProblem,
  type CollectionSummary,
  fetchCollections,
  problemOf,
  readAnswerEvents,
} from "./api-client";
import { CitationPanel } from "./citation-panel";
import { ClaimSummary, RefusalNote } from "./claim-summary";
import { describeContext } from "./context-note";
import { ConversationBar } from "./conversation-bar";
import { ModelStatusBanner } from "./model-status-banner";
import { ProblemNotice } from "./problem-notice";

/** A question asked earlier in this conversation, with its answer. */
interface Turn {
  answerId: string;
  question: string;
  answer: string;
  citations: Map<number, Citation>;
  claims: ClaimVerdict[];
  /** Reopened turns: markers dropped when the answer was written. */
  rejectedMarkers?: number[];
}

type Phase = "idle" | "retrieving" | "streaming" | "done" | "failed" | "stopped";

export function AskView() {
  const [collections, setCollections] = useState<CollectionSummary[]>([]);
  const [selected, setSelected] = useState<Set<string> | null>(null);
  const [question, setQuestion] = useState("");
  const [phase, setPhase] = useState<Phase>("idle");
  const [answer, setAnswer] = useState("");
  const [sources, setSources] = useState<SourceRef[]>([]);
  const [citations, setCitations] = useState<Map<number, Citation>>(new Map());
  const [claims, setClaims] = useState<ClaimVerdict[]>([]);
  const [refusal, setRefusal] = useState<AnswerRefusal | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [threadId, setThreadId] = useState<string | null>(null);
  const [turns, setTurns] = useState<Turn[]>([]);
  const [askedQuestion, setAskedQuestion] = useState("");
  const [answerId, setAnswerId] = useState("");
  const [threadsVersion, setThreadsVersion] = useState(0);
  const [openSource, setOpenSource] = useState<SourceRef | null>(null);
  const [timing, setTiming] = useState<string>("");
  const [contextNote, setContextNote] = useState<string>("");
  const abortRef = useRef<AbortController | null>(null);
  const questionRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    fetchCollections().then(setCollections, (error: ApiProblem) => setProblem(error));
  }, []);

  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current ?? collections.map((collection) => collection.id));
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const ask = useCallback(
    async (event: FormEvent) => {
      event.preventDefault();
      if (!question.trim()) return;
      abortRef.current?.abort();
      const controller = new AbortController();
      abortRef.current = controller;
      if (phase === "done" && answer) {
        setTurns((earlier) => [...earlier, { answerId, question: askedQuestion, answer, citations, claims }]);
      }
      setAskedQuestion(question);
      setQuestion("");
      setPhase("retrieving");
      setAnswer("");
      setSources([]);
      setCitations(new Map());
      setClaims([]);
      setRefusal(null);
      setProblem(null);
      setOpenSource(null);
      setTiming("");
      setContextNote("");
      try {
        const response = await fetch("/api/ask", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            question,
            collectionIds: selected ? [...selected] : undefined,
            threadId: threadId ?? undefined,
          }),
          signal: controller.signal,
        });
        if (!response.ok) {
          setProblem(await problemOf(response));
          setPhase("failed");
          return;
        }
        for await (const answerEvent of readAnswerEvents(response)) {
          switch (answerEvent.type) {
            case "retrieval-end":
              setSources(answerEvent.sources);
              setThreadId(answerEvent.threadId);
              setContextNote(describeContext(answerEvent));
              setPhase("streaming");
              break;
            case "text-delta":
              setAnswer((current) => current + answerEvent.text);
              break;
            case "citation":
              setCitations((current) => new Map(current).set(answerEvent.citation.n, answerEvent.citation));
              break;
            case "claims":
              setClaims(answerEvent.claims);
              break;
            case "answer-end":
              setPhase("done");
              setAnswerId(answerEvent.answerId);
              setThreadsVersion((version) => version + 1);
              setRefusal(answerEvent.refusal ?? null);
              setTiming(
                `first token ${answerEvent.firstTokenMs === null ? "—" : `${Math.round(answerEvent.firstTokenMs)} ms`}, ` +
                  `total ${Math.round(answerEvent.totalMs)} ms, audit #${answerEvent.auditSeq}`,
              );
              break;
            case "error":
              setProblem({ code: answerEvent.code, message: answerEvent.message });
              setPhase("failed");
              break;
          }
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        setProblem({
          code: "network",
          message: error instanceof Error ? error.message : "The connection failed.",
        });
        setPhase("failed");
      }
    },
    [question, selected, threadId, phase, answer, answerId, askedQuestion, citations, claims],
  );

  const startConversation = (id: string | null, earlier: Turn[]) => {
    abortRef.current?.abort();
    setThreadId(id);
    setTurns(earlier);
    setPhase("idle");
    setAnswer("");
    setAskedQuestion("");
    setSources([]);
    setCitations(new Map());
    setProblem(null);
    setOpenSource(null);
  };

  /** Closing the request stops the model on the server and frees its place in the queue. */
  const stop = () => {
    abortRef.current?.abort();
    setPhase("stopped");
    setQuestion(askedQuestion);
    // The Stop button goes away: keep the keyboard in the question box, the question in it.
    questionRef.current?.focus();
  };

  const isBusy = phase === "retrieving" || phase === "streaming";
  const isChecked = (id: string) => selected === null || selected.has(id);

  return (
    <div className="ask-layout">
      <section className="ask-main">
        <ModelStatusBanner />
        <ConversationBar
          threadId={threadId}
          refreshKey={threadsVersion}
          onNew={() => startConversation(null, [])}
          onOpen={(id, loaded) =>
            startConversation(
              id,
              loaded.map((turn) => ({
                answerId: turn.answerId,
                question: turn.question,
                answer: turn.answer,
                claims: turn.claims,
                rejectedMarkers: turn.rejectedMarkers,
                citations: new Map(turn.citations.map((source) => [source.n, { n: source.n, source }])),
              })),
            )
          }
        />
        <form onSubmit={ask} className="ask-form">
          <textarea
            ref={questionRef}
            data-testid="question"
            aria-label="Question"
            value={question}
            onChange={(event) => setQuestion(event.target.value)}
            placeholder={
              turns.length > 0 || phase === "done"
                ? "Ask a follow-up question…"
                : "Ask a question about your documents…"
            }
            rows={3}
            maxLength={4000}
          />
          <div className="ask-actions">
            <fieldset className="collection-picker">
              <legend>Search in</legend>
              {collections.length === 0 && <span className="muted">No collections you can read yet.</span>}
              {collections.map((collection) => (
                <label key={collection.id}>
                  <input
                    type="checkbox"
                    checked={isChecked(collection.id)}
                    onChange={() => toggle(collection.id)}
                  />
                  {collection.name}
                </label>
              ))}
            </fieldset>
            {isBusy ? (
              <button type="button" data-testid="stop" className="secondary" onClick={stop}>
                Stop
              </button>
            ) : (
              <button type="submit" data-testid="ask" disabled={!question.trim()}>
                Ask
              </button>
            )}
          </div>
        </form>
        {problem && <ProblemNotice problem={problem} />}
        {turns.map((turn) => (
          <article className="earlier-turn" data-testid="earlier-turn" key={turn.answerId}>
            <p className="earlier-question">{turn.question}</p>
            <AnswerText
              text={turn.answer}
              citations={turn.citations}
              claims={turn.claims}
              {...(turn.rejectedMarkers ? { rejectedMarkers: turn.rejectedMarkers } : {})}
              onOpen={(n) => setOpenSource(turn.citations.get(n)?.source ?? null)}
            />
            <AnswerFeedback answerId={turn.answerId} />
          </article>
        ))}
        {phase !== "idle" && !(phase === "failed" && answer === "") && (
          <article className="answer" data-testid="answer" data-phase={phase}>
            {turns.length > 0 && <p className="current-question">{askedQuestion}</p>}
            {phase === "retrieving" && <p className="muted">Searching your documents…</p>}
            <AnswerText
              text={answer}
              citations={citations}
              claims={claims}
              onOpen={(n) => setOpenSource(citations.get(n)?.source ?? null)}
            />
            {refusal && <RefusalNote refusal={refusal} />}
            {claims.length > 0 && <ClaimSummary claims={claims} />}
            {timing && <p className="muted small">{timing}</p>}
            {phase === "done" && answerId && <AnswerFeedback key={answerId} answerId={answerId} />}
            {phase === "stopped" && (
              <p className="muted small" role="status">
                Stopped. The model was asked to stop; the partial answer is recorded as cancelled.
              </p>
            )}
          </article>
        )}
        {sources.length > 0 && (
          <section className="sources">
            <h2>Sources shown to the model</h2>
            <p className="muted small">{contextNote}</p>
            <ol>
              {sources.map((source) => (
                <li key={source.chunkId}>
                  <button type="button" className="source-link" onClick={() => setOpenSource(source)}>
                    [{source.n}] {source.documentTitle}, {pageNameOf(source)}
                  </button>
                  {source.imageSha256 && (
                    <span className="source-tag" data-testid="source-image-tag">
                      image sent
                    </span>
                  )}
                </li>
              ))}
            </ol>
          </section>
        )}
      </section>
      {openSource && (
        // A panel per source: the previous passage is never shown under the next source's marker.
        <CitationPanel key={openSource.chunkId} source={openSource} onClose={() => setOpenSource(null)} />
      )}
    </div>
  );
}
