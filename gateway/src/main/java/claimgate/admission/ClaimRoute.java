package claimgate.admission;

import claimgate.gateway.GroupCommit;

import claimgate.catalog.CampaignCatalog;
import claimgate.claim.ClaimLookup;
import claimgate.ticket.Tickets;
import claimgate.metrics.Telemetry;
import claimgate.redis.CitizenRecord;
import claimgate.web.ApiError;
import claimgate.web.ClientAddress;
import claimgate.web.Failures;
import claimgate.web.SecurityHeaders;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * {@code POST /api/v1/campaigns/{campaignId}/claims}, the launch minute's hot route, on Vert.x
 * core in front of the router: the body read with its limit, parsed strictly into a
 * {@link ClaimBody}, the citizen identified, the campaign and merchants checked in memory, and
 * the claim handed to the {@link GroupCommit} of admissions; the answer is written without a JSON tree.
 * Requests it does not recognise as a claim (another method, a path the contract refuses) go to
 * the router, which answers them as before. Every answer carries {@link SecurityHeaders}; a
 * client that does not finish its body within the deadline gets 408.
 *
 * <p>Not thread-safe: one per verticle, used on its event loop.
 */
public final class ClaimRoute {

  static final String PREFIX = "/api/v1/campaigns/";
  static final String SUFFIX = "/claims";
  private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[\\x21-\\x7e]{1,128}");

  /**
   * @param bodyLimitBytes a larger body gets 413
   * @param bodyDeadlineMs a body not received by then gets 408
   */
  public record Limits(int bodyLimitBytes, long bodyDeadlineMs) {}

  private final Vertx vertx;
  private final CampaignCatalog catalog;
  private final CitizenIdentity identity;
  private final GroupCommit<AdmissionScript.Claim, Admission> batcher;
  private final Tickets tickets;
  private final ClaimLookup lookup;
  private final Telemetry telemetry;
  private final ClientAddress addresses;
  private final Limits limits;
  /** Requests still sending their body, oldest first; swept for the deadline. */
  private final LinkedHashSet<Reading> reading = new LinkedHashSet<>();

  private static final class Reading {
    final HttpServerRequest request;
    final long startedMs;
    boolean done;

    Reading(HttpServerRequest request, long startedMs) {
      this.request = request;
      this.startedMs = startedMs;
    }
  }

  public ClaimRoute(Vertx vertx, CampaignCatalog catalog, CitizenIdentity identity, GroupCommit<AdmissionScript.Claim, Admission> batcher,
      Tickets tickets, ClaimLookup lookup, Telemetry telemetry, ClientAddress addresses, Limits limits) {
    this.vertx = vertx;
    this.catalog = catalog;
    this.identity = identity;
    this.batcher = batcher;
    this.tickets = tickets;
    this.lookup = lookup;
    this.telemetry = telemetry;
    this.addresses = addresses;
    this.limits = limits;
    vertx.setPeriodic(Math.max(50, limits.bodyDeadlineMs() / 4), id -> sweep());
  }

  /** {@code [a-z0-9][a-z0-9-]{0,39}}, without a regular expression on the claim path. */
  static boolean campaignIdForm(String id) {
    if (id.isEmpty() || id.length() > 40 || id.charAt(0) == '-') {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** Takes the request when it is a claim; false leaves it to the router. */
  public boolean handle(HttpServerRequest request) {
    if (request.method() != HttpMethod.POST) {
      return false;
    }
    String path = request.path();
    if (path == null || !path.startsWith(PREFIX) || !path.endsWith(SUFFIX)
        || path.length() <= PREFIX.length() + SUFFIX.length()) {
      return false;
    }
    String campaignId = path.substring(PREFIX.length(), path.length() - SUFFIX.length());
    if (!campaignIdForm(campaignId)) {
      return false;
    }
    long startNanos = System.nanoTime();
    String refusal = contentTypeProblem(request);
    if (refusal != null) {
      refuseUnread(request, new ApiError(415, "unsupported_media_type", refusal));
      return true;
    }
    String length = request.getHeader("Content-Length");
    if (length != null && tooLong(length)) {
      refuseUnread(request, new ApiError(413, "payload_too_large", "request body is too large"));
      return true;
    }
    Reading state = new Reading(request, System.currentTimeMillis());
    reading.add(state);
    Buffer body = Buffer.buffer(256);
    request.handler(chunk -> {
      if (state.done) {
        return;
      }
      if (body.length() + chunk.length() > limits.bodyLimitBytes()) {
        state.done = true;
        reading.remove(state);
        refuseUnread(request, new ApiError(413, "payload_too_large", "request body is too large"));
        return;
      }
      body.appendBuffer(chunk);
    });
    request.endHandler(end -> {
      if (!state.done) {
        state.done = true;
        reading.remove(state);
        admit(request, campaignId, body, startNanos);
      }
    });
    request.exceptionHandler(failure -> {
      state.done = true;
      reading.remove(state);
    });
    return true;
  }

  /** Admits a claim whose body has been read (the router's route comes here too). */
  public void admit(HttpServerRequest request, String campaignId, Buffer body, long startNanos) {
    String problem = contentTypeProblem(request);
    if (problem != null) {
      answer(request, campaignId, new ApiError(415, "unsupported_media_type", problem), startNanos);
      return;
    }
    List<String> keys = request.headers().getAll("Idempotency-Key");
    if (keys.size() > 1 || (keys.size() == 1 && !IDEMPOTENCY_KEY.matcher(keys.get(0)).matches())) {
      answer(request, campaignId, new ApiError(400, "invalid_request",
          "Idempotency-Key: one header of 1 to 128 visible ASCII characters"), startNanos);
      return;
    }
    String idempotencyKey = keys.isEmpty() ? null : keys.get(0);
    ClaimBody claim;
    try {
      claim = ClaimBody.parse(body.getBytes());
    } catch (ClaimBody.Invalid e) {
      answer(request, campaignId, new ApiError(400, "invalid_request", e.getMessage()), startNanos);
      return;
    }
    Future<CampaignCatalog.Live> campaign = catalog.find(campaignId).compose(found -> found
        .map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(new ApiError(404, "unknown_campaign", "no campaign " + campaignId))));
    campaign
        .compose(live -> identity.identify(request, claim.citizenId()).compose(citizen -> {
          for (String merchantId : claim.merchantIds()) {
            if (!live.hasMerchant(merchantId)) {
              return Future.failedFuture(new ApiError(404, "unknown_merchant",
                  "merchant " + merchantId + " takes no part in this campaign"));
            }
          }
          // one person, one identity: the ID as the campaign writes it, whatever case or form was typed
          String citizenId;
          try {
            citizenId = claimgate.campaign.CitizenIds.canonical(citizen.id(), live.campaign().identityFormat());
          } catch (claimgate.campaign.CitizenIds.Invalid e) {
            return Future.failedFuture(new ApiError(400, "invalid_request", "citizenId (identity "
                + live.campaign().identityFormat().documentName() + "): " + e.getMessage()));
          }
          String merchants = String.join(",", claim.merchantIds());
          AdmissionScript.Claim admitted = new AdmissionScript.Claim(citizenId, merchants,
              CitizenRecord.requestId(idempotencyKey, merchants), CitizenRecord.fingerprint(merchants),
              citizen.tier().map(String::valueOf).orElse(""), addresses.of(request));
          return batcher.submit(campaignId, admitted).compose(outcome -> outcome instanceof Admission.Queued queued
              ? queued(live, queued)
              : outcome instanceof Admission.Prequeued prequeued ? Future.succeededFuture(prequeued(live, prequeued))
              : Future.failedFuture(Refusals.of(outcome)));
        }))
        .onComplete(done -> {
          if (done.succeeded()) {
            accepted(request, campaignId, done.result(), startNanos);
          } else {
            answer(request, campaignId, done.cause(), startNanos);
          }
        });
  }

  /** The 202 body: queued with position and wait, or, for a repeat of a decided claim, its decision. */
  private Future<Accepted> queued(CampaignCatalog.Live live, Admission.Queued queued) {
    String ticket = tickets.issue(live.campaign().id(), queued.generation(), queued.seq());
    long position = queued.position();
    // a repeat in a campaign with a pre-queue: whether the claim is in it, the status tells
    if (queued.repeat() && (position == 0 || live.campaign().prequeue() != null)) {
      return lookup.status(ticket).map(status -> new Accepted(ticket, status.toBuffer()));
    }
    long eta = live.etaMs(position);
    Buffer json = Buffer.buffer(96).appendString("{\"ticket\":\"").appendString(ticket)
        .appendString("\",\"status\":\"queued\",\"position\":").appendString(Long.toString(position));
    if (eta >= 0) {
      json.appendString(",\"etaMs\":").appendString(Long.toString(eta));
    }
    json.appendString("}");
    return Future.succeededFuture(new Accepted(ticket, json));
  }

  private Accepted prequeued(CampaignCatalog.Live live, Admission.Prequeued prequeued) {
    String ticket = tickets.issue(live.campaign().id(), prequeued.generation(), prequeued.seq());
    return new Accepted(ticket, ClaimLookup.prequeued(ticket, prequeued.size(), prequeued.opensAtMs()).toBuffer());
  }

  private record Accepted(String ticket, Buffer json) {}

  private void accepted(HttpServerRequest request, String campaignId, Accepted accepted, long startNanos) {
    telemetry.claims(campaignId).answered("queued", System.nanoTime() - startNanos);
    HttpServerResponse response = request.response();
    if (response.closed()) {
      return;
    }
    SecurityHeaders.apply(response).setStatusCode(202)
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .putHeader("Location", "/api/v1/claims/" + accepted.ticket())
        .end(accepted.json());
  }

  private void answer(HttpServerRequest request, String campaignId, Throwable failure, long startNanos) {
    ApiError error = Failures.toApiError(failure, 0);
    // only campaigns that exist get series: anonymous traffic to any id cannot grow /metrics
    if ((error.status() == 404 && error.error().equals("unknown_campaign")) || catalog.get(campaignId).isEmpty()) {
      telemetry.unknownCampaign();
    } else {
      telemetry.claims(campaignId).answered(error.error(), System.nanoTime() - startNanos);
    }
    HttpServerResponse response = request.response();
    if (!response.closed() && !response.headWritten()) {
      Failures.send(SecurityHeaders.apply(response), error);
    }
  }

  /** An answer to a request whose body is not read: the connection closes after it. */
  private void refuseUnread(HttpServerRequest request, ApiError error) {
    Failures.closeAfter(request);
    Failures.send(SecurityHeaders.apply(request.response()), error);
  }

  private void sweep() {
    long now = System.currentTimeMillis();
    for (var it = reading.iterator(); it.hasNext(); ) {
      Reading oldest = it.next();
      if (now - oldest.startedMs <= limits.bodyDeadlineMs()) {
        return;
      }
      it.remove();
      oldest.done = true;
      refuseUnread(oldest.request, new ApiError(408, "request_timeout", "the request was not received in time"));
    }
  }

  private static String contentTypeProblem(HttpServerRequest request) {
    String contentType = request.getHeader("Content-Type");
    return contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")
        ? "send the body as application/json" : null;
  }

  private boolean tooLong(String contentLength) {
    try {
      return Long.parseLong(contentLength.strip()) > limits.bodyLimitBytes();
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
