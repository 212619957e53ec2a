package claimgate.campaign;

/** A campaign document that cannot be used; the message is one line naming the problem. */
public final class CampaignException extends RuntimeException {
  public CampaignException(String message) {
    super(message);
  }
}
