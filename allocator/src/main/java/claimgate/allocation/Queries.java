package claimgate.allocation;

/**
 * The allocator's statements on its data, prepared and bound with {@code Tuple}; the election's
 * own are in {@link Leadership}.
 */
final class Queries {

  private Queries() {}

  /** The campaign as a standby or a reloading leader finds it (the election returns the same columns). */
  static final String CAMPAIGN_STATE = """
      select writer_epoch, stream_offset, decided_seq, released_bp, document::text as document, paused, frozen,
        flags_version, config_version, revocations_version
      from campaign where id = $1""";

  /** The same, with the row's lock held to the end of the transaction: operators' actions wait. */
  static final String CAMPAIGN_STATE_LOCKED = CAMPAIGN_STATE + " for update";

  /**
   * A restore waits on Redis inside its transaction: longer than the lease, which is for a leader
   * that went silent, not for one rebuilding a large campaign.
   */
  static final String RESTORE_TIMEOUT = "set local idle_in_transaction_session_timeout = '60s'";

  /**
   * First in every batch's transaction ({@link BatchWriter}), whose statements all look rows up by
   * key. PostgreSQL plans the foreign-key check of each row a batch inserts (a voucher's claim and
   * shop, a claim's campaign) once per session and keeps the plan until the table is analyzed
   * again; planned while the claim table held a page or two (a fresh database, or one whose rows
   * were vacuumed away, and a launch's first small batch), the check of a voucher's claim was a
   * sequential scan, kept until autovacuum analyzed the grown table up to a minute later: each
   * voucher then read every claim before it, and an allocator decided some 1,500 claims a second
   * instead of 15,000. A setting does not replan what is cached already: this holds because every
   * claim and voucher a session inserts is inserted by a batch, so every such check is planned
   * under it ({@code FirstBatchesTest}).
   */
  static final String INDEXED_CHECKS = "set local enable_seqscan = off";

  static final String MERCHANTS = "select id, issued from merchant where campaign_id = $1";

  /** What citizens hold: every voucher but those whose revocation freed their slot. */
  static final String HOLDINGS = """
      select citizen_id, merchant_id, count(*)::int from voucher where campaign_id = $1 and citizen_slot is not null
      group by citizen_id, merchant_id""";

  /** The slots in use of citizens who have a freed one: their next voucher fills the lowest gap. */
  static final String SLOTS_OF_FREED = """
      select citizen_id, merchant_id, citizen_slot, merchant_slot from voucher
      where campaign_id = $1 and citizen_slot is not null
        and citizen_id in (select citizen_id from voucher where campaign_id = $1 and citizen_slot is null)""";

  /** Citizens and tickets of vouchers revoked after a revocations version: Redis is brought in line with them. */
  static final String REVOKED = """
      select citizen_id, ticket from voucher where campaign_id = $1 and revoked_at is not null and revoked_in > $2""";

  static final String ELIGIBLE = "select citizen_id, tier from eligible where campaign_id = $1";

  static final String NEXT_SERIAL = "select coalesce(max(serial), 0) + 1 from voucher where campaign_id = $1";

  /**
   * Fence: moves the offset only while this leader's epoch is current and the campaign is not
   * frozen (a freeze committed while the batch was decided wins: nothing is decided after it);
   * answers the transaction's time.
   */
  static final String ADVANCE = """
      update campaign set stream_offset = $2, decided_seq = $3, released_bp = greatest(released_bp, $5),
        updated_at = now()
      where id = $1 and writer_epoch = $4 and not frozen
      returning now()""";

  /** Why {@link #ADVANCE} moved nothing: another writer's epoch, or a freeze. */
  static final String FROZEN_AT_EPOCH = "select frozen from campaign where id = $1 and writer_epoch = $2";

  static final String RELEASE = """
      update merchant set released = (contingent::bigint * $2 / 10000)::int
      where campaign_id = $1 and released < (contingent::bigint * $2 / 10000)::int""";

  /** The versions a load compares with the row it began from. */
  static final String VERSIONS_NOW = "select config_version, revocations_version from campaign where id = $1";

  static final String INSERT_CLAIMS = """
      insert into claim (ticket, campaign_id, seq, stream_id, citizen_id, merchant_ids, charged_merchant,
                         status, reason, voucher_code, writer_epoch, generation, request_id, place, log_index)
      select c.ticket, $1, c.seq, c.stream_id, c.citizen, c.merchants, c.charged, c.status, c.reason, c.code, $2,
             c.generation, c.request_id, nullif(c.place, 0),
             -- the claim's admission in the public log: its decision follows it; the batch's records
             -- start $14 after the head this transaction holds locked (null: no log written)
             (select h.idx from decision_log_head h where h.campaign_id = $1) + $14::bigint + 2 * (c.ord - 1)
      from unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                  $10::text[], $11::text[], $12::bigint[], $13::text[], $15::int[]) with ordinality
        as c(ticket, seq, stream_id, citizen, merchants, charged, status, reason, code, generation, request_id, place, ord)""";

  /** Each citizen's last requests, for a restore to give them back (idempotency across a loss). */
  static final String RECENT_REQUESTS = """
      select citizen_id, request_id, generation, seq, merchant_ids from (
        select citizen_id, request_id, generation, seq, merchant_ids,
               row_number() over (partition by citizen_id order by seq desc) as recent
        from claim where campaign_id = $1 and request_id is not null) r
      where recent <= $2 order by citizen_id, seq""";

  /** Vouchers issued at the transaction's time, which redemption's {@code now()} judges expiry by. */
  static final String INSERT_VOUCHERS = """
      insert into voucher (code, campaign_id, merchant_id, citizen_id, ticket, serial, citizen_slot, citizen_limit,
                           merchant_slot, merchant_limit, value, currency, issued_at, expires_at)
      select v.code, $1, v.merchant, v.citizen, v.ticket, v.serial, v.citizen_slot, $2, v.merchant_slot, $3,
             $4, $5, now(), now() + make_interval(hours => 24 * $6)
      from unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::int[], $13::int[])
        as v(code, merchant, citizen, ticket, serial, citizen_slot, merchant_slot)""";

  static final String ADD_ISSUED = """
      update merchant m set issued = m.issued + d.n
      from unnest($2::text[], $3::int[]) as d(id, n)
      where m.campaign_id = $1 and m.id = d.id""";

  /**
   * Decisions the previous leader committed but may not have published; a draw's are published
   * by place ({@link #DRAWN_SINCE}).
   */
  static final String DECIDED_SINCE = """
      select c.ticket, c.seq, c.stream_id, c.citizen_id, c.charged_merchant, c.status, c.reason,
             v.code, v.merchant_id, v.value, v.currency, v.expires_at
      from claim c left join voucher v on v.ticket = c.ticket
      where c.campaign_id = $1 and c.seq > $2 and c.seq <= $4 and c.place is null order by c.seq limit $3""";

  /** The seqs decided in a range (a draw's list): which of its claims still wait. */
  static final String DECIDED_SEQS = "select seq from claim where campaign_id = $1 and seq between $2 and $3";

  /** A draw's decisions after a place, in place order: the previous leader may not have published them. */
  static final String DRAWN_SINCE = """
      select c.ticket, c.seq, c.stream_id, c.citizen_id, c.charged_merchant, c.status, c.reason, c.place,
             v.code, v.merchant_id, v.value, v.currency, v.expires_at
      from claim c left join voucher v on v.ticket = c.ticket
      where c.campaign_id = $1 and c.seq between $2 and $3 and c.place > $4 and c.place <= $5
      order by c.place limit $6""";

  /** The campaigns to lead: all but other processes' scratch campaigns (warm-ups), or only one. */
  static final String CAMPAIGN_IDS = "select id from campaign where (not starts_with(id, '"
      + claimgate.campaign.Campaign.SCRATCH_PREFIX + "') and $1::text is null) or id = $1 order by id";
}
