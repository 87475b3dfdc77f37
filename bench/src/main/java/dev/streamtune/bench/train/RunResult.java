package dev.streamtune.bench.train;

import java.util.List;

/**
 * One timed run of one side: tokens per second over its timed steps and the loss of every step (warm-up
 * included), which lets the two sides be checked for doing the same computation.
 */
public record RunResult(double tokensPerSecond, List<Double> losses) {}
