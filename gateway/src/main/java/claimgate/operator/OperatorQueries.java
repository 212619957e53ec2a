package claimgate.operator;

/**
 * Every statement of the operators' routes, prepared and bound with {@code Tuple}. Changes take
 * the campaign row's lock, so operator actions on one campaign are serialised, and bump the
 * version the change's derived state in Redis carries.
 */
final class OperatorQueries {

  private OperatorQueries() {}

  /** The kill switch: the old value, and the flags as they now are with their new version. */
  static final String SET_PAUSED = """
      with old as (select paused from campaign where id = $1 for no key update)
      update campaign c set paused = $2, flags_version = c.flags_version + 1, updated_at = now()
      from old where c.id = $1
      returning old.paused as before, c.paused, c.frozen, c.flags_version, c.archived_at is not null as archived""";

  /** Archiving: paused for good, and the time it left the lists (kept when archived twice). */
  static final String ARCHIVE = """
      with old as (select paused from campaign where id = $1 for no key update)
      update campaign c set paused = $2, archived_at = coalesce(c.archived_at, now()),
                            flags_version = c.flags_version + 1, updated_at = now()
      from old where c.id = $1
      returning old.paused as before, c.paused, c.frozen, c.flags_version""";

  static final String SET_FROZEN = """
      with old as (select frozen from campaign where id = $1 for no key update)
      update campaign c set frozen = $2, flags_version = c.flags_version + 1, updated_at = now()
      from old where c.id = $1
      returning old.frozen as before, c.paused, c.frozen, c.flags_version""";

  /** The live admission rate: the old settings, and the document as it now is with its new version. */
  static final String SET_ADMISSION = """
      with old as (select document -> 'admission' as admission from campaign where id = $1 for no key update)
      update campaign c set document = jsonb_set(jsonb_set(c.document, '{admission,ratePerSecond}', to_jsonb($2::int)),
                                                 '{admission,burst}', to_jsonb($3::int)),
                            config_version = c.config_version + 1, updated_at = now()
      from old where c.id = $1 returning old.admission, c.config_version, c.document::text as document""";

  static final String OUTCOMES = """
      select status, coalesce(reason, ''), count(*)::bigint from claim where campaign_id = $1 group by 1, 2""";

  static final String MERCHANT_COUNTS = """
      select id, contingent, issued from merchant where campaign_id = $1 order by ordinal""";

  static final String CAMPAIGNS_OF_MERCHANT = "select campaign_id from merchant where id = $1";
}
