package claimgate.campaign;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A campaign document, as written in a campaign file or sent to the admin API.
 *
 * <p>Immutable; {@link #validate()} checks every field and throws {@link CampaignException}
 * naming the first problem. Rounds release cumulative shares of every contingent; the share is
 * kept in basis points so that Java, SQL and Lua compute the same integer release.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Campaign(
    String id,
    String name,
    String currency,
    BigDecimal voucherValue,
    Integer validDays,
    Limits limits,
    Eligibility eligibility,
    Admission admission,
    List<Round> rounds,
    List<Merchant> merchants,
    Identity identity,
    Presentation presentation) {

  /** Ids of the scratch campaigns a warm-up makes ({@code store.ScratchCampaign}); no operator may use them. */
  public static final String SCRATCH_PREFIX = "warmup-";

  public static boolean isScratch(String campaignId) {
    return campaignId.startsWith(SCRATCH_PREFIX);
  }


  /** The largest voucher value the vouchers' column holds (numeric(15,3)). */
  static final BigDecimal MAX_VOUCHER_VALUE = new BigDecimal("1000000000");

  @com.fasterxml.jackson.annotation.JsonCreator
  public Campaign {
    // one way to write an amount, whatever the document says: with its currency's decimals
    // (10, 10.0 and 10.00 EUR are all 10.00; 1000.0 JPY is 1000)
    if (voucherValue != null && voucherValue.signum() > 0 && currency != null && currency.matches("[A-Z]{3}")
        && voucherValue.stripTrailingZeros().scale() <= Formats.decimals(currency)) {
      voucherValue = Formats.money(voucherValue, currency);
    }
  }

  /** Without a presentation: the page shows the name as written and times in UTC. */
  public Campaign(String id, String name, String currency, BigDecimal voucherValue, Integer validDays, Limits limits,
      Eligibility eligibility, Admission admission, List<Round> rounds, List<Merchant> merchants, Identity identity) {
    this(id, name, currency, voucherValue, validDays, limits, eligibility, admission, rounds, merchants, identity, null);
  }

  /** Without an identity setting: citizen IDs are {@code opaque}. */
  public Campaign(String id, String name, String currency, BigDecimal voucherValue, Integer validDays, Limits limits,
      Eligibility eligibility, Admission admission, List<Round> rounds, List<Merchant> merchants) {
    this(id, name, currency, voucherValue, validDays, limits, eligibility, admission, rounds, merchants, null, null);
  }

  /**
   * How citizen IDs are written ({@code opaque}, {@code dni-nie} or {@code email}); each is
   * brought to one canonical form wherever it enters (see {@link CitizenIds}).
   */
  public record Identity(String format) {}

  /** The identity format; {@code opaque} when the document names none. */
  @JsonIgnore
  public CitizenIds.Format identityFormat() {
    return identity == null || identity.format() == null ? CitizenIds.Format.OPAQUE : CitizenIds.Format.named(identity.format());
  }

  public static final int FULL_RELEASE_BP = 10_000;

  public record Limits(int perCitizen, int perCitizenPerMerchant) {}

  /**
   * Optional eligibility: a list of {@code citizenId[,tier]} lines, from a {@code file} beside the
   * campaign file or inline as {@code citizens} (the admin API), and an optional {@code minTier}.
   * With neither file nor list, only a verified identity token's tier makes a citizen eligible.
   */
  public record Eligibility(String file, Integer minTier, List<String> citizens) {}

  /**
   * Token buckets and caps of the admission script: the campaign's bucket, and one per client
   * address so that no single address drains the campaign's admission budget (defaults
   * {@value #DEFAULT_PER_ADDRESS_RATE}/s, burst {@value #DEFAULT_PER_ADDRESS_BURST}; many citizens
   * may share an address behind a carrier's NAT, so raise it rather than lower it).
   */
  public record Admission(int ratePerSecond, int burst, int maxPendingPerCitizen, Double capFactor,
      Integer perAddressRatePerSecond, Integer perAddressBurst, Prequeue prequeue) {

    public static final int DEFAULT_PER_ADDRESS_RATE = 20;
    public static final int DEFAULT_PER_ADDRESS_BURST = 60;

    /** With the default per-address bucket. */
    public Admission(int ratePerSecond, int burst, int maxPendingPerCitizen, Double capFactor) {
      this(ratePerSecond, burst, maxPendingPerCitizen, capFactor, null, null, null);
    }

    /** Without a pre-queue. */
    public Admission(int ratePerSecond, int burst, int maxPendingPerCitizen, Double capFactor,
        Integer perAddressRatePerSecond, Integer perAddressBurst) {
      this(ratePerSecond, burst, maxPendingPerCitizen, capFactor, perAddressRatePerSecond, perAddressBurst, null);
    }

    public Admission withPrequeue(Prequeue newPrequeue) {
      return new Admission(ratePerSecond, burst, maxPendingPerCitizen, capFactor, perAddressRatePerSecond,
          perAddressBurst, newPrequeue);
    }

    /** Released vouchers of a merchant may be queued up to this many times over, unless the campaign says. */
    public static final double DEFAULT_CAP_FACTOR = 1.5;

    public double capFactorOrDefault() {
      return capFactor == null ? DEFAULT_CAP_FACTOR : capFactor;
    }

    public int perAddressRateOrDefault() {
      return perAddressRatePerSecond == null ? DEFAULT_PER_ADDRESS_RATE : perAddressRatePerSecond;
    }

    public int perAddressBurstOrDefault() {
      return perAddressBurst == null ? DEFAULT_PER_ADDRESS_BURST : perAddressBurst;
    }
  }

  /**
   * A pre-queue before each round: claims that arrive {@code opensBefore} the opening or later wait
   * in it and, at the opening, are served in an order drawn from a seed committed in advance (see
   * {@code claimgate.draw.Draw}), before every claim that arrives after the opening.
   *
   * @param beacon outside randomness named in advance (a lottery draw, a public beacon's round), which
   *     an operator enters at the opening and the draw takes in besides the seed; null for none
   */
  public record Prequeue(java.time.Duration opensBefore, String beacon) {
    @JsonIgnore
    public long opensBeforeMs() {
      return opensBefore.toMillis();
    }
  }

  /** The pre-queue's settings, or null when claims before an opening are refused ({@code not_open}). */
  @JsonIgnore
  public Prequeue prequeue() {
    return admission == null ? null : admission.prequeue();
  }

  public record Round(OffsetDateTime opensAt, OffsetDateTime closesAt, double release) {
    @JsonIgnore
    public long opensAtMs() {
      return opensAt.toInstant().toEpochMilli();
    }

    @JsonIgnore
    public long closesAtMs() {
      return closesAt.toInstant().toEpochMilli();
    }
  }

  /**
   * A shop. {@code area} and {@code category} (optional) help citizens find it; {@code names}
   * (optional) gives its name by language ({@code ca}, {@code es}, ...).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Merchant(String id, String name, int contingent, String area, String category,
      Map<String, String> names) {

    @com.fasterxml.jackson.annotation.JsonCreator
    public Merchant {}

    public Merchant(String id, String name, int contingent) {
      this(id, name, contingent, null, null, null);
    }

    /** The name in {@code language} when the document gives one, else the name. */
    public String name(String language) {
      return names != null && names.containsKey(language) ? names.get(language) : name;
    }
  }

  /**
   * How the campaign is shown to citizens (optional): the time zone its times are told in
   * (an IANA id such as {@code Europe/Madrid}; UTC when none) and its name by language.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Presentation(String timeZone, Map<String, String> names) {}

  /** The zone the campaign's times are told in when the reader names none. */
  @JsonIgnore
  public java.time.ZoneId zone() {
    return presentation == null || presentation.timeZone() == null ? java.time.ZoneId.of("UTC")
        : java.time.ZoneId.of(presentation.timeZone());
  }

  /** The campaign's name in {@code language} when the document gives one, else its name. */
  public String name(String language) {
    return presentation != null && presentation.names() != null && presentation.names().containsKey(language)
        ? presentation.names().get(language) : name;
  }

  /** Validates every field ({@link CampaignValidation}); returns this for chaining. */
  public Campaign validate() {
    CampaignValidation.check(this);
    return this;
  }

  /** Cumulative share released by rounds that have opened at {@code atMs}, in basis points. */
  public int releasedBp(long atMs) {
    // per claim on the allocator's decision thread: the running sum, without an array
    int bp = 0;
    double sum = 0;
    for (Round r : rounds) {
      sum += r.release();
      if (r.opensAtMs() <= atMs) {
        bp = cumulativeBp(sum);
      }
    }
    return bp;
  }

  /**
   * The share released once each round has opened, in basis points: the running sum of the
   * rounds' shares, rounded once (never round by round, which lost a voucher of 202 over three
   * rounds of a third), so the last round releases every voucher. The one owner of the rule:
   * the allocator, the admission script's settings and SQL take it from here.
   */
  @JsonIgnore
  public int[] cumulativeReleaseBp() {
    int[] cumulative = new int[rounds.size()];
    double sum = 0;
    for (int i = 0; i < rounds.size(); i++) {
      sum += rounds.get(i).release();
      cumulative[i] = cumulativeBp(sum);
    }
    return cumulative;
  }

  /** A running sum of shares in basis points, rounded once. */
  private static int cumulativeBp(double sum) {
    return (int) Math.min(FULL_RELEASE_BP, Math.round(sum * FULL_RELEASE_BP));
  }

  /** Vouchers of a merchant released at a given share; the same integer formula as SQL and Lua. */
  public static int released(int contingent, int releasedBp) {
    return (int) ((long) contingent * releasedBp / FULL_RELEASE_BP);
  }

  /**
   * Vouchers a merchant can still issue: released at the share, less those issued (never below
   * zero). The one definition the ledger, the campaign page and the operators' stats use;
   * {@code admit.lua} computes the same ({@code AdmissionAgreementTest} holds them together).
   */
  public static int remaining(int contingent, int releasedBp, int issued) {
    return Math.max(0, released(contingent, releasedBp) - issued);
  }

  public Optional<Round> openRound(long atMs) {
    return rounds.stream().filter(r -> r.opensAtMs() <= atMs && atMs < r.closesAtMs()).findFirst();
  }

  public Optional<Round> nextRound(long atMs) {
    return rounds.stream().filter(r -> r.opensAtMs() > atMs).findFirst();
  }

  /** {@code scheduled | open | closed} from the clock; paused and sold out come from live state. */
  public String scheduleState(long atMs) {
    if (openRound(atMs).isPresent()) {
      return "open";
    }
    return atMs < rounds.get(0).opensAtMs() || nextRound(atMs).isPresent() ? "scheduled" : "closed";
  }

  public Optional<Merchant> merchant(String merchantId) {
    return merchants.stream().filter(m -> m.id().equals(merchantId)).findFirst();
  }

  @JsonIgnore
  public long totalContingent() {
    return merchants.stream().mapToLong(Merchant::contingent).sum();
  }

  /** Voucher code prefix: the first five letters or digits of the id, upper case. */
  @JsonIgnore
  public String codePrefix() {
    String letters = id.replaceAll("[^a-z0-9]", "").toUpperCase(Locale.ROOT);
    return letters.substring(0, Math.min(5, letters.length()));
  }

  /** The same campaign with its first round opening at {@code now} (demo mode). */
  public Campaign withFirstRoundOpenAt(Instant now) {
    Round first = rounds.get(0);
    if (!first.opensAt().toInstant().isAfter(now)) {
      return this;
    }
    OffsetDateTime opens = now.atOffset(first.opensAt().getOffset());
    OffsetDateTime closes = first.closesAt().isAfter(opens) ? first.closesAt() : opens.plusHours(12);
    List<Round> shifted = new java.util.ArrayList<>(rounds);
    shifted.set(0, new Round(opens, closes, first.release()));
    return new Campaign(id, name, currency, voucherValue, validDays, limits, eligibility, admission,
        List.copyOf(shifted), merchants, identity, presentation);
  }

  /** The document as stored: an inline eligibility list lives in its own table, not in the document. */
  public Campaign withoutInlineList() {
    if (eligibility == null || eligibility.citizens() == null) {
      return this;
    }
    return withEligibility(new Eligibility(null, eligibility.minTier(), null));
  }

  /** The document with its eligibility replaced (a list inlined or dropped, say). */
  public Campaign withEligibility(Eligibility newEligibility) {
    return new Campaign(id, name, currency, voucherValue, validDays, limits, newEligibility, admission,
        rounds, merchants, identity, presentation);
  }

  public Campaign withAdmission(Admission newAdmission) {
    return new Campaign(id, name, currency, voucherValue, validDays, limits, eligibility, newAdmission,
        rounds, merchants, identity, presentation);
  }

}
