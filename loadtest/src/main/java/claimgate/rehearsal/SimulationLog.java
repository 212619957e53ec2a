package claimgate.rehearsal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Gatling's binary {@code simulation.log} (the format of the Gatling version this project pins):
 * read for the rehearsal's figures, and merged from several injectors into one log that Gatling's
 * reports-only mode turns into one report. A log starts with a run record (Gatling's version, the
 * simulation, its start in epoch milliseconds, the scenarios, the assertions), then user, request,
 * group and error records whose times are milliseconds since that start; strings are written once
 * and then referred to by a per-file index.
 *
 * <p>Merging takes the earliest start as the merged run's, shifts every other log's times by the
 * difference, maps scenarios by name and writes each string once in the merged file's own index.
 */
final class SimulationLog {

  static final byte RUN = 0;
  static final byte REQUEST = 1;
  static final byte USER = 2;
  static final byte GROUP = 3;
  static final byte ERROR = 4;

  /** One request as the figures need it. */
  record Request(String name, int startMs, int endMs, boolean ok, String message) {
    int responseMs() {
      return endMs - startMs;
    }
  }

  /** A string as Gatling stores it: its internal bytes and its coder (Latin-1 or UTF-16). */
  private record Raw(byte[] value, byte coder) {
    static final Raw EMPTY = new Raw(new byte[0], (byte) 0);

    String text() {
      return value.length == 0 ? "" : coder == 0
          ? new String(value, java.nio.charset.StandardCharsets.ISO_8859_1)
          : new String(value, java.nio.charset.StandardCharsets.UTF_16LE);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Raw r && coder == r.coder && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(value) + coder;
    }
  }

  /** The run record. */
  record Run(String gatlingVersion, String simulation, long startMs, String description, List<String> scenarios,
      List<byte[]> assertions) {}

  private SimulationLog() {}

  /** Every request of a log (users, groups and errors are skipped). */
  static List<Request> requests(Path log) throws IOException {
    List<Request> requests = new ArrayList<>();
    try (Reader reader = new Reader(Files.newInputStream(log))) {
      reader.run();
      for (byte header = reader.header(); header != -1; header = reader.header()) {
        switch (header) {
          case REQUEST -> {
            reader.groups();
            String name = reader.cached().text();
            int start = reader.in.readInt();
            int end = reader.in.readInt();
            boolean ok = reader.in.readByte() == 1;
            requests.add(new Request(name, start, end, ok, reader.cached().text()));
          }
          case USER -> reader.skip(4 + 1 + 4);
          case GROUP -> {
            reader.groups();
            reader.skip(4 + 4 + 4 + 1);
          }
          case ERROR -> {
            reader.cached();
            reader.skip(4);
          }
          default -> throw new IOException(log + ": unknown record " + header);
        }
      }
    }
    return requests;
  }

  static Run run(Path log) throws IOException {
    try (Reader reader = new Reader(Files.newInputStream(log))) {
      return reader.run();
    }
  }

  /** Writes one log holding every record of the given logs, which must come from one simulation. */
  static void merge(List<Path> logs, Path merged) throws IOException {
    List<Run> runs = new ArrayList<>();
    for (Path log : logs) {
      runs.add(run(log));
    }
    Run first = runs.get(0);
    for (int i = 1; i < runs.size(); i++) {
      Run r = runs.get(i);
      if (!r.gatlingVersion().equals(first.gatlingVersion()) || !r.simulation().equals(first.simulation())) {
        throw new IllegalArgumentException(logs.get(i) + " is a run of " + r.simulation() + " with Gatling "
            + r.gatlingVersion() + ", not of " + first.simulation() + " with Gatling " + first.gatlingVersion());
      }
    }
    long start = runs.stream().mapToLong(Run::startMs).min().orElseThrow();
    List<String> scenarios = new ArrayList<>();
    runs.forEach(r -> r.scenarios().stream().filter(s -> !scenarios.contains(s)).forEach(scenarios::add));
    Files.createDirectories(merged.getParent());
    try (Writer writer = new Writer(Files.newOutputStream(merged))) {
      writer.run(first, start, scenarios);
      for (int i = 0; i < logs.size(); i++) {
        int shift = Math.toIntExact(runs.get(i).startMs() - start);
        List<String> own = runs.get(i).scenarios();
        try (Reader reader = new Reader(Files.newInputStream(logs.get(i)))) {
          reader.run();
          for (byte header = reader.header(); header != -1; header = reader.header()) {
            writer.out.writeByte(header);
            switch (header) {
              case REQUEST -> {
                writer.groups(reader.groups());
                writer.cached(reader.cached());
                writer.out.writeInt(reader.in.readInt() + shift);
                writer.out.writeInt(reader.in.readInt() + shift);
                writer.out.writeByte(reader.in.readByte());
                writer.cached(reader.cached());
              }
              case USER -> {
                writer.out.writeInt(scenarios.indexOf(own.get(reader.in.readInt())));
                writer.out.writeByte(reader.in.readByte());
                writer.out.writeInt(reader.in.readInt() + shift);
              }
              case GROUP -> {
                writer.groups(reader.groups());
                writer.out.writeInt(reader.in.readInt() + shift);
                writer.out.writeInt(reader.in.readInt() + shift);
                writer.out.writeInt(reader.in.readInt());
                writer.out.writeByte(reader.in.readByte());
              }
              case ERROR -> {
                writer.cached(reader.cached());
                writer.out.writeInt(reader.in.readInt() + shift);
              }
              default -> throw new IOException(logs.get(i) + ": unknown record " + header);
            }
          }
        }
      }
    }
  }

  private static final class Reader implements AutoCloseable {
    final DataInputStream in;
    private final Map<Integer, Raw> cache = new HashMap<>();

    Reader(InputStream in) {
      this.in = new DataInputStream(new BufferedInputStream(in, 1 << 16));
    }

    Run run() throws IOException {
      if (in.readByte() != RUN) {
        throw new IOException("not a Gatling simulation log: no run record first");
      }
      String version = string().text();
      String simulation = string().text();
      long start = in.readLong();
      String description = string().text();
      List<String> scenarios = new ArrayList<>();
      for (int i = in.readInt(); i > 0; i--) {
        scenarios.add(string().text());
      }
      List<byte[]> assertions = new ArrayList<>();
      for (int i = in.readInt(); i > 0; i--) {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        assertions.add(bytes);
      }
      return new Run(version, simulation, start, description, scenarios, assertions);
    }

    /** The next record's header, or -1 at the end. */
    byte header() throws IOException {
      int b = in.read();
      return b < 0 ? -1 : (byte) b;
    }

    Raw string() throws IOException {
      int length = in.readInt();
      if (length == 0) {
        return Raw.EMPTY;
      }
      byte[] value = new byte[length];
      in.readFully(value);
      return new Raw(value, in.readByte());
    }

    Raw cached() throws IOException {
      int index = in.readInt();
      if (index >= 0) {
        Raw s = string();
        cache.put(index, s);
        return s;
      }
      Raw s = cache.get(-index);
      if (s == null) {
        throw new IOException("a string referred to before it was written: " + -index);
      }
      return s;
    }

    List<Raw> groups() throws IOException {
      List<Raw> groups = new ArrayList<>();
      for (int i = in.readInt(); i > 0; i--) {
        groups.add(cached());
      }
      return groups;
    }

    void skip(int bytes) throws IOException {
      if (in.skipBytes(bytes) != bytes) {
        throw new EOFException();
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  private static final class Writer implements AutoCloseable {
    final DataOutputStream out;
    /** Index 0 would read back as a hit on -0: indices start at 1, as Gatling's do. */
    private final Map<Raw, Integer> cache = new HashMap<>();

    Writer(OutputStream out) {
      this.out = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
    }

    void run(Run run, long start, List<String> scenarios) throws IOException {
      out.writeByte(RUN);
      string(run.gatlingVersion());
      string(run.simulation());
      out.writeLong(start);
      string(run.description());
      out.writeInt(scenarios.size());
      for (String s : scenarios) {
        string(s);
      }
      out.writeInt(run.assertions().size());
      for (byte[] a : run.assertions()) {
        out.writeInt(a.length);
        out.write(a);
      }
    }

    private void string(String s) throws IOException {
      raw(latin1(s));
    }

    /** Gatling's writer keeps Latin-1 strings as bytes; the texts of the run record here are ASCII. */
    private static Raw latin1(String s) {
      for (int i = 0; i < s.length(); i++) {
        if (s.charAt(i) > 0xFF) {
          return new Raw(s.getBytes(java.nio.charset.StandardCharsets.UTF_16LE), (byte) 1);
        }
      }
      return new Raw(s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), (byte) 0);
    }

    private void raw(Raw s) throws IOException {
      out.writeInt(s.value().length);
      if (s.value().length > 0) {
        out.write(s.value());
        out.writeByte(s.coder());
      }
    }

    void cached(Raw s) throws IOException {
      Integer index = cache.get(s);
      if (index == null) {
        index = cache.size() + 1;
        cache.put(s, index);
        out.writeInt(index);
        raw(s);
      } else {
        out.writeInt(-index);
      }
    }

    void groups(List<Raw> groups) throws IOException {
      out.writeInt(groups.size());
      for (Raw g : groups) {
        cached(g);
      }
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
