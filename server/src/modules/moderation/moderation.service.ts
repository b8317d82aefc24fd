import type { SubjectKind, VerdictView } from '../../../../shared/moderation.js';
import type { ModerationConfig } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ImageClassifier, ImageScores } from './image.classifier.js';
import type { ModerationStore, NewVerdict, VerdictRow } from './moderation.store.js';
import { imageDecision, type Decision, type ImagePlace } from './policy.js';
import type { RepeatCounter } from './repeats.js';
import { contactDetails, profanity, repeatKey } from './text.check.js';

/** What a quarantined subject's owner module does when an admin decides (media: approve or withdraw the item). */
export type SubjectDecider = (subjectId: string, decision: 'allow' | 'remove', adminId: string) => Promise<void>;

/** The text step of places other than chat: posts and comments masked, bios refused. */
export type TextPolicy = Pick<ModerationService, 'masked' | 'bio'>;

export interface ImageVerdict extends Decision {
  scores: ImageScores | Record<string, never>;
}

/**
 * The moderate step for users' texts and images. Texts are checked inline
 * (pure checks, and one Redis counter only for long enough chat texts);
 * images go through the on-machine classifier, one at a time per process.
 * Verdicts that were not a plain allow of a text are kept with their scores
 * (moderation_verdicts); quarantined ones wait in the admin queue.
 */
export class ModerationService {
  constructor(
    private readonly d: {
      db: Database;
      store: ModerationStore;
      classifier: ImageClassifier;
      config: ModerationConfig;
      /** One normalised text per sender: the conversations it went to (MODERATION_REPEAT_LIMIT per window), each once. */
      repeats: RepeatCounter;
      audit: Pick<AuditService, 'recordIn'>;
      logger: Logger;
      /** The owners of quarantinable subjects, bound late (media is built after moderation). */
      deciders: () => Partial<Record<SubjectKind, SubjectDecider>>;
      /** Whether a user is a creator (attachments' policy). */
      isCreator: (userId: string) => Promise<boolean>;
    },
  ) {}

  /**
   * A chat message about to be stored: its text masked, or refused with TEXT_REFUSED (details.reason
   * `contact_to_stranger` or `repeated`). `stranger()` is asked only when the text carries a link or a
   * phone number, so the common message pays no query for it.
   */
  async message(m: { senderId: string; conversationId: string; clientId: string; body: string; stranger: () => Promise<boolean> }): Promise<string> {
    const contact = contactDetails(m.body);
    if (contact.length > 0 && (await m.stranger())) {
      await this.refuseText(m, 'contact_to_stranger', { link: Number(contact.includes('link')), phone: Number(contact.includes('phone')) });
    }
    const key = repeatKey(m.body);
    if (key && !(await this.d.repeats.take(m.senderId, key, m.conversationId))) await this.refuseText(m, 'repeated', { limit: this.d.config.repeat.limit });
    return profanity(m.body).masked;
  }

  /** Posts and comments: shown with the matched words masked (absent text stays absent). */
  masked<T extends string | null | undefined>(text: T): T {
    return (typeof text === 'string' ? profanity(text).masked : text) as T;
  }

  /** A bio is what every stranger reads first: refused (TEXT_REFUSED, reason `profanity`) rather than shown masked. */
  bio<T extends string | null | undefined>(text: T): T {
    if (typeof text === 'string' && profanity(text).hits > 0) {
      throw new AppError('TEXT_REFUSED', 'your text has words that are not allowed here; reword it', { details: { reason: 'profanity' } });
    }
    return text;
  }

  /** An image's verdict where it is shown, kept with its scores. Never throws on the image's bytes: unreadable ones are a block. */
  async image(subject: { kind: 'media' | 'snapshot'; id: string; userId: string }, place: ImagePlace, bytes: Buffer, keep: (d: Decision) => boolean = () => true): Promise<ImageVerdict> {
    const scores = await this.d.classifier.classify(bytes);
    const creator = place === 'attachment' ? await this.d.isCreator(subject.userId) : false;
    const decision = imageDecision(place, scores, this.d.config, { creator });
    const verdict = { ...decision, scores: scores === 'undecodable' ? {} : scores };
    if (keep(decision)) await this.d.store.insert({ subjectKind: subject.kind, subjectId: subject.id, userId: subject.userId, place, ...verdict });
    return verdict;
  }

  async queue(limit: number): Promise<VerdictView[]> {
    return (await this.d.store.queue(limit)).map(toView);
  }

  /** An admin settles a quarantined subject: the decision and its audit entry commit together, then the owner module applies it. */
  async decide(adminId: string, verdictId: string, decision: 'allow' | 'remove', ip: string | null): Promise<VerdictView> {
    const decided = await this.d.db.transaction(async (tx) => {
      const row = await this.d.store.decide(verdictId, decision, adminId, tx);
      if (!row) return undefined;
      await this.d.audit.recordIn(tx, {
        key: `moderation_decision:${verdictId}`,
        actorId: adminId,
        action: 'admin.moderation_decision',
        ip,
        meta: { verdictId, subjectKind: row.subject_kind, subjectId: row.subject_id, userId: row.user_id, decision },
      });
      return row;
    });
    if (!decided) {
      const current = await this.d.store.get(verdictId);
      if (!current) throw new AppError('NOT_FOUND', 'no such verdict');
      throw new AppError('MODERATION_ALREADY_DECIDED', 'this item is not waiting for a decision', { details: { verdict: current.verdict, decision: current.decision } });
    }
    await this.d.deciders()[decided.subject_kind]?.(decided.subject_id, decision, adminId);
    return toView(decided);
  }

  /**
   * Its owner deleted a subject (or it can no longer be reached, like a message's attachment once the message
   * is deleted for everyone): nothing is left for an admin to decide, so a quarantine waiting on it leaves the queue.
   */
  subjectGone(kind: SubjectKind, subjectId: string): Promise<number> {
    return this.d.store.closeGone(kind, subjectId);
  }

  ofSubject(kind: SubjectKind, subjectId: string): Promise<VerdictRow[]> {
    return this.d.store.ofSubject(kind, subjectId);
  }

  /** Keeps the refused text's evidence (not its words: the counts of what fired) and refuses it. */
  private async refuseText(m: { senderId: string; conversationId: string; clientId: string }, reason: 'contact_to_stranger' | 'repeated', scores: Record<string, number>): Promise<never> {
    const v: NewVerdict = { subjectKind: 'message', subjectId: `${m.conversationId}:${m.clientId}`, userId: m.senderId, place: 'chat', verdict: 'block', scores, reasons: [reason] };
    await this.d.store.insert(v).catch((err: unknown) => this.d.logger.warn({ err }, 'moderation verdict not kept'));
    const message =
      reason === 'repeated'
        ? 'you sent this same text to too many people; write to each person yourself'
        : 'no links or phone numbers in a first message to someone who has not replied yet';
    throw new AppError('TEXT_REFUSED', message, { details: { reason } });
  }
}

function toView(r: VerdictRow): VerdictView {
  return {
    id: r.id,
    subjectKind: r.subject_kind,
    subjectId: r.subject_id,
    userId: r.user_id,
    userName: r.user_name,
    place: r.place,
    verdict: r.verdict,
    scores: r.scores,
    reasons: r.reasons,
    createdAt: r.created_at.toISOString(),
    decision: r.decision,
    decidedAt: r.decided_at?.toISOString() ?? null,
  };
}
