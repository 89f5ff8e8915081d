package dev.herd.llama;

import dev.herd.common.HerdInputException;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Parses {@code --device} values: {@code cpu}, {@code gpu}/{@code cuda} (first GPU), {@code gpu:N}, {@code auto}. */
public final class Devices {

    private Devices() {}

    public static Device parse(String spec) {
        String s = spec == null ? "auto" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        int gpus = Engine.getInstance().getGpuCount();
        switch (s) {
            case "auto":
                return gpus > 0 ? Device.gpu() : Device.cpu();
            case "cpu":
                return Device.cpu();
            default:
                break;
        }
        int index = 0;
        if (s.startsWith("gpu") || s.startsWith("cuda")) {
            int colon = s.indexOf(':');
            if (colon >= 0) {
                try {
                    index = Integer.parseInt(s.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new HerdInputException("--device " + spec + ": expected cpu, gpu, gpu:N or auto");
                }
            }
            if (index >= gpus) {
                throw new HerdInputException("--device " + spec + ": this machine has " + gpus
                        + " CUDA device(s) visible to the PyTorch engine");
            }
            return Device.gpu(index);
        }
        throw new HerdInputException("--device " + spec + ": expected cpu, gpu, gpu:N or auto");
    }
}
