/** Parameters of a Conv2D with bias: k x k x cin x cout weights plus cout biases. */
export const convParams = (k: number, cin: number, cout: number): number => k * k * cin * cout + cout;
/** Parameters of a BatchNormalization over c channels: gamma, beta (trainable), moving mean and variance. */
export const bnParams = (c: number): number => 4 * c;
/** Parameters of a Dense layer with bias. */
export const denseParams = (inputs: number, units: number): number => inputs * units + units;
