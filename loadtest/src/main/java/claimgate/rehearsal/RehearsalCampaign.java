package claimgate.rehearsal;

import claimgate.campaign.Campaign;
import claimgate.campaign.CampaignFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/**
 * The campaign a rehearsal applies: the profile's (or a given) campaign file with its id
 * suffixed by the run's id, so that a rehearsal never touches the real campaign, and every round
 * moved by the same amount so that the first opens at the rehearsal's start.
 */
final class RehearsalCampaign {

  private RehearsalCampaign() {}

  /** A run id: lower-case letters, digits and dashes, at most 20 (a campaign id is at most 40). */
  static final java.util.regex.Pattern RUN_ID = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{0,19}");

  /** The campaign's id with the run's: the base shortened where the two would pass 40 characters. */
  static String id(Path file, String runId) {
    if (!RUN_ID.matcher(runId).matches()) {
      throw new IllegalArgumentException("--run-id " + runId + ": lower-case letters, digits and dashes, at most 20");
    }
    String base = CampaignFiles.load(file).campaign().id();
    String suffix = "-" + runId;
    return base.substring(0, Math.min(base.length(), 40 - suffix.length())) + suffix;
  }

  /** The document (its eligibility list inline, as the admin API takes it) opening at {@code opensAt}. */
  static String document(Path file, String runId, Instant opensAt) {
    return document(file, runId, opensAt, null);
  }

  /** The same with a pre-queue opening {@code prequeue} before each round (null: as the file says). */
  static String document(Path file, String runId, Instant opensAt, Duration prequeue) {
    CampaignFiles.Loaded loaded = CampaignFiles.load(file);
    Campaign c = loaded.campaign();
    if (prequeue != null) {
      c = c.withAdmission(c.admission().withPrequeue(new Campaign.Prequeue(prequeue, null)));
    }
    Duration shift = Duration.between(c.rounds().get(0).opensAt().toInstant(), opensAt);
    List<Campaign.Round> rounds = c.rounds().stream()
        .map(r -> new Campaign.Round(moved(r.opensAt(), shift), moved(r.closesAt(), shift), r.release()))
        .toList();
    Campaign rehearsal = new Campaign(id(file, runId), c.name(), c.currency(), c.voucherValue(), c.validDays(), c.limits(),
        c.eligibility(), c.admission(), rounds, c.merchants(), c.identity(), c.presentation());
    return CampaignFiles.toJsonWithList(new CampaignFiles.Loaded(rehearsal, loaded.eligible()));
  }

  private static OffsetDateTime moved(OffsetDateTime at, Duration shift) {
    return at.toInstant().plus(shift).atOffset(ZoneOffset.UTC);
  }
}
