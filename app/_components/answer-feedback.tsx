"use client";

import { type FormEvent, useEffect, useId, useState } from "react";
import { type ApiProblem, asProblem, callApi } from "./api-client";
import { ThumbIcon } from "./feedback-icons";
import { ProblemNotice } from "./problem-notice";

type Rating = 1 | -1;

interface StoredFeedback {
  rating: Rating;
  comment: string;
}

/** Longest comment the server takes. */
const maxCommentChars = 2000;

/**
 * Under a finished answer: was it helpful (thumbs up / down, pressed state announced), and an
 * optional comment. A rating is saved when pressed; the comment with the Save button. The reader
 * may change their mind: the latest rating replaces the earlier one.
 */
export function AnswerFeedback({ answerId }: { answerId: string }) {
  const commentId = useId();
  const [saved, setSaved] = useState<StoredFeedback | null>(null);
  const [comment, setComment] = useState("");
  const [isCommentOpen, setCommentOpen] = useState(false);
  const [isSaving, setSaving] = useState(false);
  const [status, setStatus] = useState("");
  const [problem, setProblem] = useState<ApiProblem | null>(null);

  useEffect(() => {
    let isCurrent = true;
    callApi<{ feedback: StoredFeedback | null }>("GET", `/api/answers/${answerId}/feedback`).then(
      ({ feedback }) => {
        if (!isCurrent || !feedback) return;
        setSaved(feedback);
        setComment(feedback.comment);
      },
      () => {
        // Not knowing an earlier rating is fine: the buttons still work.
      },
    );
    return () => {
      isCurrent = false;
    };
  }, [answerId]);

  const save = async (rating: Rating, text: string) => {
    setSaving(true);
    setProblem(null);
    try {
      const { feedback } = await callApi<{ feedback: StoredFeedback }>(
        "PUT",
        `/api/answers/${answerId}/feedback`,
        {
          rating,
          comment: text,
        },
      );
      setSaved(feedback);
      setStatus(
        text ? "Thank you: your rating and comment were saved." : "Thank you: your rating was saved.",
      );
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setSaving(false);
    }
  };

  const submitComment = (event: FormEvent) => {
    event.preventDefault();
    if (saved) void save(saved.rating, comment.trim());
  };

  return (
    <div className="answer-feedback" data-testid="answer-feedback">
      <div className="feedback-row">
        <span className="small muted" id={`${commentId}-question`}>
          Was this answer helpful?
        </span>
        {/* biome-ignore lint/a11y/useSemanticElements: a group of two toggle buttons, named by the question beside it */}
        <div className="feedback-buttons" role="group" aria-labelledby={`${commentId}-question`}>
          <button
            type="button"
            className="feedback-button"
            data-testid="feedback-up"
            aria-pressed={saved?.rating === 1}
            disabled={isSaving}
            onClick={() => void save(1, comment.trim())}
          >
            <ThumbIcon direction="up" /> Helpful
          </button>
          <button
            type="button"
            className="feedback-button"
            data-testid="feedback-down"
            aria-pressed={saved?.rating === -1}
            disabled={isSaving}
            onClick={() => void save(-1, comment.trim())}
          >
            <ThumbIcon direction="down" /> Not helpful
          </button>
        </div>
        {!isCommentOpen && (
          <button
            type="button"
            className="link-button small"
            data-testid="feedback-comment-open"
            aria-expanded={false}
            onClick={() => setCommentOpen(true)}
          >
            {saved?.comment ? "Edit comment" : "Add a comment"}
          </button>
        )}
      </div>
      {isCommentOpen && (
        <form className="feedback-comment" onSubmit={submitComment}>
          <label htmlFor={commentId}>Comment (optional)</label>
          <textarea
            id={commentId}
            data-testid="feedback-comment"
            rows={2}
            maxLength={maxCommentChars}
            value={comment}
            onChange={(event) => setComment(event.target.value)}
            aria-describedby={saved ? undefined : `${commentId}-hint`}
          />
          {!saved && (
            <p className="hint" id={`${commentId}-hint`}>
              Choose Helpful or Not helpful first; the comment is saved with your rating.
            </p>
          )}
          <div className="inline-controls">
            <button
              type="submit"
              className="secondary small-button"
              data-testid="feedback-comment-save"
              disabled={!saved || isSaving}
            >
              Save comment
            </button>
            <button type="button" className="link-button small" onClick={() => setCommentOpen(false)}>
              Close
            </button>
          </div>
        </form>
      )}
      <p
        className="small muted feedback-status"
        role="status"
        aria-live="polite"
        data-testid="feedback-status"
      >
        {status}
      </p>
      {problem && <ProblemNotice problem={problem} />}
    </div>
  );
}
