// A checkout till talking to `xinyi serve` (docs/serve.md) with the JDK alone (17+: java.net.http for
// HTTP and WebSocket). Run it as a single source file, no build:
//
//     java Checkout.java --url http://127.0.0.1:9465 --token-file /etc/xinyi/api.token
//
// It waits for the next card tap or code scan, shows the decision and the citizen text, confirms the
// use once the sale is paid (a retry with the same Idempotency-Key is safe), and follows the event
// stream, resuming from the last event it saw after a dropped connection. One JSON line per step on
// stdout, so that a test (test/integration/serve-clients.e2e.test.ts) can follow it.
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

public class Checkout {
  // HTTP/1.1: on an http:// URI java.net.http would otherwise ask to upgrade to h2c, which the
  // service refuses (it speaks HTTP/1.1, and WebSocket on the same port).
  private final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();
  private final String url;
  private final String token;

  Checkout(String url, String token) {
    this.url = url.replaceAll("/$", "");
    this.token = token;
  }

  /** A POST with its Idempotency-Key: the same key on a retry never makes a second decision or use. */
  Map<String, Object> post(String path, String body, String key) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url + path))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    Map<String, Object> json = Json.object(response.body());
    if (response.statusCode() >= 400) {
      Map<String, Object> error = Json.map(json.get("error"));
      throw new IllegalStateException(response.statusCode() + " " + error.get("code") + ": " + error.get("message"));
    }
    json.put("_replayed", response.headers().firstValue("Idempotent-Replayed").orElse("false").equals("true"));
    return json;
  }

  /** The event stream; `since` is the id of the last event seen (or null for new events only). */
  Events events(String since) throws Exception {
    String ws = url.replaceFirst("^http", "ws") + "/v1/events/ws"
        + (since == null ? "" : "?since=" + URLEncoder.encode(since, StandardCharsets.UTF_8));
    Events events = new Events();
    events.socket = http.newWebSocketBuilder()
        .header("Authorization", "Bearer " + token)
        .buildAsync(URI.create(ws), events)
        .get(10, TimeUnit.SECONDS);
    Map<String, Object> hello = events.next(null, null);
    if ("error".equals(hello.get("type"))) throw new IllegalStateException(String.valueOf(hello.get("error")));
    events.hello = hello;
    return events;
  }

  static final class Events implements WebSocket.Listener {
    final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    final StringBuilder partial = new StringBuilder();
    WebSocket socket;
    Map<String, Object> hello;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        messages.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    /** The next message of `type` (about decision `id` when given); waits at most 30 s. */
    Map<String, Object> next(String type, String id) throws Exception {
      for (;;) {
        String text = messages.poll(30, TimeUnit.SECONDS);
        if (text == null) throw new IllegalStateException("no " + type + " event within 30 s");
        Map<String, Object> message = Json.object(text);
        if (type == null || type.equals(message.get("type"))) {
          if (id == null || id.equals(Json.map(message.get("data")).get("id"))) return message;
        }
      }
    }

    void close() {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    }
  }

  static void step(String name, Map<String, Object> fields) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("step", name);
    line.putAll(fields);
    System.out.println(Json.write(line));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) options.put(args[i], args[i + 1]);
    String token = Files.readString(Path.of(options.get("--token-file"))).trim();
    Checkout till = new Checkout(options.get("--url"), token);
    String waitMs = options.getOrDefault("--wait-ms", "30000");
    try {
      Events events = till.events(null);
      step("connected", Map.of("epoch", events.hello.get("epoch"), "lastSeq", events.hello.get("lastSeq")));

      step("waiting", Map.of());
      Map<String, Object> decision = till.post("/v1/present", "{\"wait\":{\"timeoutMs\":" + waitMs + "}}", UUID.randomUUID().toString());
      Object subject = decision.get("subject");
      step("decision", Map.of(
          "id", decision.get("id"),
          "outcome", decision.get("outcome"),
          "citizen", Json.map(decision.get("explanation")).get("citizen"),
          "masked", subject == null ? "" : Json.map(subject).get("masked")));

      Map<String, Object> event = events.next("decision", (String) decision.get("id"));
      step("event", Map.of("seq", event.get("seq"), "id", event.get("id")));

      // The sale is paid: confirm the use. The till retries after a timeout with the same key.
      String key = UUID.randomUUID().toString();
      String confirm = "/v1/decisions/" + decision.get("id") + "/confirm-use";
      Map<String, Object> used = till.post(confirm, "{}", key);
      Map<String, Object> again = till.post(confirm, "{}", key);
      step("confirmed", Map.of("usesCounted", used.get("usesCounted"), "retried", again.get("usesCounted"), "replayed", again.get("_replayed")));

      // The connection drops; a decision is made meanwhile; the till resumes from its last event.
      String lastId = (String) event.get("id");
      events.close();
      Map<String, Object> missed = till.post("/v1/present", "{\"credential\":{\"kind\":\"barcode\",\"text\":\"MEMBER-JAVA-1\"}}", UUID.randomUUID().toString());
      Events resumed = till.events(lastId);
      Map<String, Object> first = resumed.next("decision", null);
      step("resumed", Map.of("seq", first.get("seq"), "id", Json.map(first.get("data")).get("id"), "missed", missed.get("id")));
      resumed.close();
    } catch (Exception error) {
      step("failed", Map.of("error", String.valueOf(error.getMessage())));
      System.exit(1);
    }
  }

  /** Just enough JSON for the API's answers: objects, arrays, strings, numbers, booleans, null. */
  static final class Json {
    private final String s;
    private int i;

    private Json(String s) {
      this.s = s;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
      return (Map<String, Object>) value;
    }

    static Map<String, Object> object(String text) {
      return map(new Json(text).value());
    }

    private Object value() {
      skip();
      char c = s.charAt(i);
      if (c == '{') {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        skip();
        if (s.charAt(i) == '}') { i++; return m; }
        for (;;) {
          skip();
          String k = string();
          skip();
          i++; // :
          m.put(k, value());
          skip();
          if (s.charAt(i++) == '}') return m;
        }
      }
      if (c == '[') {
        List<Object> l = new ArrayList<>();
        i++;
        skip();
        if (s.charAt(i) == ']') { i++; return l; }
        for (;;) {
          l.add(value());
          skip();
          if (s.charAt(i++) == ']') return l;
        }
      }
      if (c == '"') return string();
      if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
      if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
      if (s.startsWith("null", i)) { i += 4; return null; }
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
      double d = Double.parseDouble(s.substring(start, i));
      return d == Math.rint(d) && Math.abs(d) < 1e15 ? (Object) (long) d : (Object) d;
    }

    private String string() {
      StringBuilder b = new StringBuilder();
      i++; // opening quote
      for (;;) {
        char c = s.charAt(i++);
        if (c == '"') return b.toString();
        if (c != '\\') { b.append(c); continue; }
        char e = s.charAt(i++);
        switch (e) {
          case 'n' -> b.append('\n');
          case 't' -> b.append('\t');
          case 'r' -> b.append('\r');
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
          default -> b.append(e);
        }
      }
    }

    private void skip() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    static String write(Object v) {
      if (v == null) return "null";
      if (v instanceof String str) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : str.toCharArray()) {
          if (c == '"' || c == '\\') b.append('\\').append(c);
          else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
        return b.append('"').toString();
      }
      if (v instanceof Map<?, ?> m) {
        List<String> parts = new ArrayList<>();
        m.forEach((k, val) -> parts.add(write(String.valueOf(k)) + ":" + write(val)));
        return "{" + String.join(",", parts) + "}";
      }
      if (v instanceof List<?> l) {
        List<String> parts = new ArrayList<>();
        for (Object o : l) parts.add(write(o));
        return "[" + String.join(",", parts) + "]";
      }
      return String.valueOf(v);
    }
  }
}
