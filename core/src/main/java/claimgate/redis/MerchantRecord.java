package claimgate.redis;

/**
 * A merchant's record in the campaign's {@link CampaignKeys#merchants} hash, as the scripts read and
 * write it (admit.lua, publish.lua, revoked.lua, configure.lua):
 * {@code <contingent>|<issued>|<queued>}.
 *
 * @param issued vouchers issued (published by the allocator after commit)
 * @param queued claims admitted for it and not decided yet
 */
public record MerchantRecord(int contingent, int issued, int queued) {

  public String encode() {
    return contingent + "|" + issued + "|" + queued;
  }

  public static MerchantRecord decode(String record) {
    String[] parts = record.split("\\|", 3);
    return new MerchantRecord(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
  }
}
