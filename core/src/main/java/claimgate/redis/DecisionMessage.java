package claimgate.redis;

import java.util.ArrayList;
import java.util.List;

/**
 * A message on {@link CampaignKeys#DECISIONS_CHANNEL}, written as lines: its kind, the campaign,
 * a seq, then its items. {@code decided} ({@code publish.lua}, one committed allocator batch): the
 * seq of the batch's last claim, then each decided ticket and its status JSON (what the status
 * endpoint answers) alternately. {@code revoked} ({@code revoked.lua}): seq 0, then the tickets
 * whose vouchers were revoked, whose published outcomes are gone (their status is PostgreSQL's).
 */
public record DecisionMessage(Kind kind, String campaignId, long lastSeq, List<Outcome> outcomes, List<String> revoked) {

  public enum Kind { DECIDED, REVOKED }

  /** A ticket's decision: its status JSON as the allocator published it. */
  public record Outcome(String ticket, String json) {}

  public static DecisionMessage parse(String payload) {
    String[] lines = payload.split("\n", -1);
    if (lines.length < 3) {
      throw new IllegalArgumentException("not a decision message: " + lines.length + " lines");
    }
    Kind kind = switch (lines[0]) {
      case "decided" -> Kind.DECIDED;
      case "revoked" -> Kind.REVOKED;
      default -> throw new IllegalArgumentException("not a decision message: kind " + lines[0]);
    };
    long seq = Long.parseLong(lines[2]);
    if (kind == Kind.REVOKED) {
      return new DecisionMessage(kind, lines[1], seq, List.of(), List.of(lines).subList(3, lines.length));
    }
    if ((lines.length - 3) % 2 != 0) {
      throw new IllegalArgumentException("a decided message whose tickets and outcomes do not pair up");
    }
    List<Outcome> outcomes = new ArrayList<>((lines.length - 3) / 2);
    for (int i = 3; i < lines.length; i += 2) {
      outcomes.add(new Outcome(lines[i], lines[i + 1]));
    }
    return new DecisionMessage(kind, lines[1], seq, List.copyOf(outcomes), List.of());
  }
}
